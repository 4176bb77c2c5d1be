"""The targets of issue 6, checked at the top of each setup's section: warm answers against
nginx, the service against the engine, cold p99, the bulk load, RSS and the scale curve; on
the scaled setup also issue 26's: the service against a bare proxy to the same engine."""

from collections.abc import Sequence

from processes import WrkResult
from results import Results, Scenario

# The targets of issue 6.
WARM_SHARE_OF_NGINX = 0.5
SERVICE_OVER_ENGINE = 1.3
COLD_P99_MS = 10.0
BULK_64K_SECONDS = 3.0
RSS_MB_PER_WORKER = 150.0
SCALE_P50_FACTOR = 2.0
# The target of issue 26: what the service adds to one hop through Sanic to the engine.
SERVICE_OVER_BARE_PROXY = 1.3
SERVICE_OVER_BARE_PROXY_BY_SCENARIO = {"typo": 1.5}
"""A typo's fuzzy search does more of our own work (the corrections) than the others."""


def p50_ratios(runs: dict[tuple[str, int], WrkResult], over: dict[tuple[str, int], WrkResult],
               scenarios: Sequence[Scenario], conns: int) -> dict[str, float]:
    """Scenario slug -> p50 of ``runs`` / p50 of ``over``, at ``conns`` connections."""
    return {s.slug: runs[s.slug, conns].p50_ms / over[s.slug, conns].p50_ms
            for s in scenarios if (s.slug, conns) in runs and (s.slug, conns) in over}


def targets(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    rows = ["| target (issue 6 unless named) | measured | |", "|---|---|---|"]
    top = max(results.args.connections)
    names = {s.slug: s.name for s in scenarios}

    # Warm cache >= 50% of nginx req/s, at the highest connection count.
    shares = {
        s.slug: results.warm[s.slug, top].rps / results.nginx[s.slug, top].rps
        for s in scenarios
        if (s.slug, top) in results.warm and (s.slug, top) in results.nginx
    }
    if shares:
        worst = min(shares, key=shares.__getitem__)
        share = shares[worst]
        status = (
            "met"
            if share >= WARM_SHARE_OF_NGINX
            else f"**missed** by {100 * (WARM_SHARE_OF_NGINX - share):.0f} points "
            f"({WARM_SHARE_OF_NGINX / share:.1f}x too slow)"
        )
        rows.append(
            f"| warm cache ≥ {WARM_SHARE_OF_NGINX:.0%} of nginx req/s, every scenario "
            f"at {top} connections | worst {share:.1%} ({names[worst]}) | "
            f"{status} |"
        )

    # Scaled: service p50 <= 1.3 x the engine's own p50 for the same query.
    if results.engine_direct:
        ratios = p50_ratios(results.cold, results.engine_direct, scenarios, top)
        if ratios:
            worst = max(ratios, key=ratios.__getitem__)
            ok = ratios[worst] <= SERVICE_OVER_ENGINE
            status = "met" if ok else f"**missed** ({ratios[worst]:.1f}x)"
            rows.append(
                f"| service p50 ≤ {SERVICE_OVER_ENGINE:g}x the engine's own p50, same query, "
                f"at {top} connections | worst {ratios[worst]:.2f}x ({names[worst]}) | "
                f"{status} |"
            )
        floors = p50_ratios(results.bare_proxy, results.engine_direct, scenarios, top)
        if floors:
            worst = max(floors, key=floors.__getitem__)
            rows.append(
                f"| (the floor: a bare Sanic proxy's p50 over the engine's, at {top} "
                f"connections) | worst {floors[worst]:.2f}x ({names[worst]}) | - |"
            )

    if results.setup == "scaled":
        rows += bare_proxy_rows(results, scenarios)

    # Cold p99 <= 10 ms at 50 connections.
    p99s = {
        s.slug: results.cold[s.slug, 50].p99_ms for s in scenarios if (s.slug, 50) in results.cold
    }
    if p99s:
        worst = max(p99s, key=p99s.__getitem__)
        p99 = p99s[worst]
        status = (
            "met"
            if p99 <= COLD_P99_MS
            else (f"**missed** by {p99 - COLD_P99_MS:.1f} ms ({p99 / COLD_P99_MS:.1f}x)")
        )
        over = sum(1 for v in p99s.values() if v > COLD_P99_MS)
        rows.append(
            f"| cold p99 ≤ {COLD_P99_MS:g} ms, every scenario at 50 connections | "
            f"worst {p99:.1f} ms ({names[worst]}); {over} of {len(p99s)} over | "
            f"{status} |"
        )
    else:
        rows.append(
            f"| cold p99 ≤ {COLD_P99_MS:g} ms at 50 connections | not measured "
            "(50 not in --connections) | - |"
        )

    # Bulk load of 64k <= 3 s.
    if results.loads and results.loads[0].domains == 1:
        first = results.loads[0]
        status = (
            "met"
            if first.seconds <= BULK_64K_SECONDS
            else (
                f"**missed** by {first.seconds - BULK_64K_SECONDS:.1f} s "
                f"({first.seconds / BULK_64K_SECONDS:.1f}x)"
            )
        )
        rows.append(
            f"| bulk load of the {first.loaded:,} titles ≤ {BULK_64K_SECONDS:g} s | "
            f"{first.seconds:.2f} s ({first.rate:,.0f} docs/s) | {status} |"
        )

    # RSS <= 150 MB per worker.
    peaks = [(m.hwm_mb, label) for label, found in results.memory for m in found]
    if peaks:
        peak, label = max(peaks)
        status = (
            "met"
            if peak <= RSS_MB_PER_WORKER
            else (f"**missed** by {peak - RSS_MB_PER_WORKER:.0f} MB")
        )
        rows.append(
            f"| RSS ≤ {RSS_MB_PER_WORKER:g} MB per worker | peak {peak:.0f} MB "
            f"(VmHWM, {label}) | {status} |"
        )

    # 1M titles: cold p50 <= 2x the 64k figure.
    if results.scale and len(results.scale) > 1:
        biggest = max(results.scale)
        factors = {
            slug: results.scale[biggest][slug].p50_ms / max(base.p50_ms, 1e-9)
            for slug, base in results.scale[1].items()
        }
        worst = max(factors, key=factors.__getitem__)
        factor = factors[worst]
        titles = next((load.titles_total for load in results.loads if load.domains == biggest), 0)
        status = (
            "met"
            if factor <= SCALE_P50_FACTOR
            else (f"**missed** ({factor:.1f}x instead of ≤ {SCALE_P50_FACTOR:g}x)")
        )
        rows.append(
            f"| {titles:,} titles: cold p50 ≤ {SCALE_P50_FACTOR:g}x the 64k figure "
            f"(c={results.args.scale_connections}) | worst {factor:.2f}x "
            f"({names[worst]}: {results.scale[1][worst].p50_ms:.2f} → "
            f"{results.scale[biggest][worst].p50_ms:.2f} ms) | {status} |"
        )
    else:
        rows.append("| 1M titles: cold p50 ≤ 2x the 64k figure | not measured (--no-scale) | - |")
    return rows



def answered(run: WrkResult) -> bool:
    """A wrk run whose figures are answers: some requests, at most 1% of them errors (a
    run of timeouts reads p50 0)."""
    return run.requests > 0 and run.errors <= run.requests / 100


def bare_proxy_rows(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    """Issue 26: service p50 <= 1.3x the bare proxy's (typo 1.5x), every scenario, one row
    at 1 connection and one at the most, each naming the scenario nearest its limit."""
    target = (f"service p50 ≤ {SERVICE_OVER_BARE_PROXY:g}x the bare proxy's p50, every "
              "scenario, " + ", ".join(f"{slug} ≤ {limit:g}x" for slug, limit in
                                      SERVICE_OVER_BARE_PROXY_BY_SCENARIO.items())
              + " (issue 26)")
    counts = sorted({1, max(results.args.connections)} & set(results.args.connections))
    rows = [row for conns in counts
            if (row := bare_proxy_row(results, scenarios, conns, target)) is not None]
    return rows or [f"| {target} | not measured (no bare proxy: see the notes) | - |"]


def bare_proxy_row(results: Results, scenarios: Sequence[Scenario], conns: int,
                   target: str) -> str | None:
    """The row at ``conns`` connections, None when the bare proxy was not measured there."""
    measured = [s for s in scenarios
                if (s.slug, conns) in results.cold and (s.slug, conns) in results.bare_proxy]
    if not measured:
        return None
    failed = [s for s in measured if not (answered(results.cold[s.slug, conns])
                                          and answered(results.bare_proxy[s.slug, conns]))]
    ratios = p50_ratios(results.cold, results.bare_proxy,
                        [s for s in measured if s not in failed], conns)
    limits = {slug: SERVICE_OVER_BARE_PROXY_BY_SCENARIO.get(slug, SERVICE_OVER_BARE_PROXY)
              for slug in ratios}
    over = sum(1 for slug in ratios if ratios[slug] > limits[slug])
    names = {s.slug: s.name for s in scenarios}
    cells, status = [], "met"
    if ratios:
        worst = max(ratios, key=lambda slug: ratios[slug] / limits[slug])
        cells.append(f"worst {ratios[worst]:.2f}x ({names[worst]}, limit "
                     f"{limits[worst]:g}x); {over} of {len(ratios)} over")
        status = f"**missed** ({ratios[worst]:.2f}x)" if over else status
    if failed:
        cells.append(f"no answer in {', '.join(s.name for s in failed)} (errors)")
        status = status if over else "**missed** (runs with errors)"
    return (f"| {target}, at {conns} connection{'s' if conns != 1 else ''} "
            f"| {'; '.join(cells)} | {status} |")
