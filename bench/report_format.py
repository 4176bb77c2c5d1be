"""How a figure is written in the report's tables, the same in every section: req/s and ms
with the digits that matter, CPU per request in whole microseconds, and the workers' memory."""

from processes import Memory


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def memory_table(memory: list[tuple[str, list[Memory]]]) -> list[str]:
    """One row per worker and moment: `| when | worker pid | VmRSS MB | VmHWM (peak) MB |`."""
    rows = ["| when | worker pid | VmRSS MB | VmHWM (peak) MB |", "|---|---:|---:|---:|"]
    for label, found in memory:
        for m in found:
            rows.append(f"| {label} | {m.pid} | {m.rss_mb:.0f} | {m.hwm_mb:.0f} |")
    return rows
