"""bench/options.py: bench/run.py's command line, the parts it runs and where the report goes."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from options import parse_args
from processes import ROOT


@pytest.mark.parametrize(("argv", "parts", "output"), [
    ([], ["scenarios", "distinct"], "BENCHMARKS.md"),
    (["--only", "distinct"], ["distinct"], ".work/bench/distinct.md"),
    (["--only", "many-sites"], ["many-sites"], ".work/bench/many-sites.md"),
    (["--only", "distinct", "--only", "many-sites"], ["distinct", "many-sites"],
     ".work/bench/distinct.md"),
])
def test_the_report_goes_where_the_parts_asked_for_belong(argv, parts, output):
    args = parse_args(argv, "the bench")

    assert args.only == parts
    assert args.output == ROOT / output


def test_the_scale_curve_leaves_out_one_domain_the_cold_phase_measures_already():
    args = parse_args(["--scale-domains", "16,1,4,4", "--connections", "50,1"], "the bench")

    assert args.scale_domains == [4, 16]
    assert args.connections == [1, 50]


def test_connection_counts_below_one_are_refused(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--connections", "0,10"], "the bench")

    assert "give positive numbers separated by commas" in capsys.readouterr().err


def test_the_scaled_setup_runs_on_one_node_unless_asked_for_a_cluster():
    assert parse_args(["--setup", "scaled"], "the bench").nodes == 1
    assert parse_args(["--setup", "scaled", "--nodes", "3"], "the bench").nodes == 3
    assert parse_args(["--setup", "both", "--nodes", "3"], "the bench").nodes == 3


@pytest.mark.parametrize(("argv", "message"), [
    (["--setup", "scaled", "--nodes", "0"], "--nodes: give 1 or more"),
    (["--nodes", "3"], "--nodes is for the scaled setup"),
])
def test_node_counts_the_bench_cannot_start_are_refused(capsys, argv, message):
    with pytest.raises(SystemExit):
        parse_args(argv, "the bench")

    assert message in capsys.readouterr().err
