#!/usr/bin/env python3
"""Summarises a `benches/voice/run` work directory: a table, then one line of JSON.

A held call counts as failed when sipp failed it or when rtp_check.py found that its caller did
not hear the target (media.json of the run); the exit status says whether every call was good
(0), some failed (1), or the media check could not tell (2: the capture dropped packets, or
the baseline, which only echoes, failed it).

usage: report.py WORK CLK_TCK CALLS RAMP_RATE HOLD_SECS CPS SHORT_CALLS REPEATS
"""
import csv
import json
import statistics
import sys
from pathlib import Path

work = Path(sys.argv[1])
clk = float(sys.argv[2])
CALLS, RAMP, HOLD, CPS, SHORT, REPEATS = (float(a) for a in sys.argv[3:9])
REPEATS = int(REPEATS)


def samples(d: Path):
    out = []
    for line in (d / "target.samples").read_text().splitlines():
        t, cpu, rss, busy = line.split()
        out.append((float(t), int(cpu) / clk, int(rss), int(busy) / clk))
    return out


def cpu_between(s, t0, t1, col=1):
    """CPU-seconds (of the target, or col 3: the whole machine) and wall seconds between t0 and t1."""
    inside = [x for x in s if t0 <= x[0] <= t1]
    if len(inside) < 2:
        return None, None
    return inside[-1][col] - inside[0][col], inside[-1][0] - inside[0][0]


def sipp_stats(d: Path):
    rows = list(csv.reader((d / "stat.csv").open(), delimiter=";"))
    head, last = rows[0], rows[-1]
    get = lambda name: last[head.index(name)]  # noqa: E731
    return int(get("SuccessfulCall(C)")), int(get("FailedCall(C)")), int(get("OutgoingCall(C)"))


def rtt(d: Path):
    f = d / "rtt.csv"
    if not f.exists():
        return [], []
    at, ms = [], []
    for row in list(csv.reader(f.open(), delimiter=";"))[1:]:
        if len(row) >= 2 and row[0]:
            at.append(float(row[0]))
            ms.append(float(row[1]))
    return at, ms


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def run(name: str, held: bool):
    d = work / name
    if not d.exists():
        return None
    s = samples(d)
    start = float((d / "start").read_text())
    end = float((d / "end").read_text())
    ok, failed, placed = sipp_stats(d)
    sip_ok, sip_failed = ok, failed
    at, ms = rtt(d)
    idle = [x for x in s if x[0] <= start]
    idle_rss = idle[-1][2] if idle else s[0][2]
    peak_rss = max(x[2] for x in s if x[0] >= start) if s else 0
    rate = (len(at) - 1) / ((at[-1] - at[0]) / 1000) if len(at) > 1 and at[-1] > at[0] else None
    cpu_all, wall_all = cpu_between(s, start - 0.3, end + 1.0)
    busy_all, _ = cpu_between(s, start - 0.3, end + 1.0, col=3)
    r = {
        "ok": ok,
        "failed": failed,
        "placed": placed,
        "sipp_rc": int((d / "rc").read_text()),
        "rate": rate,
        "rt_p50_ms": pct(ms, 50),
        "rt_p99_ms": pct(ms, 99),
        "rt_max_ms": max(ms) if ms else None,
        "rss_idle_mib": idle_rss / 1024,
        "rss_peak_mib": peak_rss / 1024,
        "cpu_s": cpu_all,
        "cpu_ms_per_call": cpu_all / max(ok, 1) * 1000 if cpu_all is not None else None,
        "cores_window": cpu_all / wall_all if cpu_all is not None else None,
        "machine_cores_window": busy_all / wall_all if busy_all is not None else None,
    }
    if held:
        # The plateau: every call is up (ramp over) and none has hung up yet.
        p0 = start + CALLS / RAMP + 1.0
        p1 = start + HOLD - 0.5
        cpu, wall = cpu_between(s, p0, p1)
        r["plateau_s"] = wall
        busy, _ = cpu_between(s, p0, p1, col=3)
        r["machine_cores_plateau"] = busy / wall if busy is not None and wall else None
        r["cores_plateau"] = cpu / wall if cpu is not None and wall else None
        r["cpu_ms_per_call_second"] = (
            r["cores_plateau"] * 1000 / CALLS if r["cores_plateau"] is not None else None
        )
        r["rss_kib_per_call"] = (peak_rss - idle_rss) / CALLS
        dig = d / "digits"
        r["digits_in_flow"] = int(dig.read_text()) if dig.exists() else None
        r.update(media(d, sip_ok, sip_failed))
    return r


def media(d: Path, sip_ok: int, sip_failed: int):
    """What the callers heard: failed calls move from ok to failed. A call sipp counted as
    successful without a caller stream in the capture cannot be checked and fails too. The
    capture cannot tell which SIP outcome a stream had: a call that failed both ways (the
    target died mid-call) counts twice, at most up to the calls placed."""
    m, cap = d / "media.json", d / "capture.json"
    if not m.exists():
        # A capture without a result: rtp_check.py failed, the check proves nothing.
        return {"media_checked": False, "media_error": cap.exists(), "sip_ok": sip_ok,
                "sip_failed": sip_failed}
    m = json.loads(m.read_text())
    cap = json.loads(cap.read_text()) if cap.exists() else {}
    unchecked = max(0, sip_ok - m["calls"])
    bad = m["failed"] + unchecked
    dropped = cap.get("dropped_kernel", -1)
    return {
        "media_checked": True,
        "sip_ok": sip_ok,
        "sip_failed": sip_failed,
        "ok": sip_ok - bad,
        "failed": min(sip_ok + sip_failed, sip_failed + bad),
        "media_failed": bad,
        "media_short": m["failed_short"],
        "media_silent": m["failed_silent"],
        "media_unchecked": unchecked,
        "rtp_share_min": m["share_min"],
        "rtp_share_p50": m["share_p50"],
        "rtp_late": m["late"],
        "rtp_gap_p50_ms": m["gap_p50_ms"],
        "rtp_gap_max_ms": m["gap_max_ms"],
        "rtp_unassigned": m["unassigned"] + m["outside_window"],
        "capture_dropped": dropped + cap.get("dropped_interface", 0) if dropped >= 0 else None,
        "capture_cpu_s": cap["cpu_ticks"] / clk if "cpu_ticks" in cap else None,
    }


def med(runs, key):
    vals = [r[key] for r in runs if r and r.get(key) is not None]
    return statistics.median(vals) if vals else None


def collect(kind: str, who: str):
    return [r for i in range(1, REPEATS + 1) if (r := run(f"{kind}-{who}-{i}", kind == "held"))]


held_s, held_b = collect("held", "server"), collect("held", "baseline")
setup_s, setup_b = collect("setup", "server"), collect("setup", "baseline")
held_all = held_s + held_b
media_checked = bool(held_all) and all(r.get("media_checked") for r in held_all)


def fmt(v, spec=".2f"):
    return "—" if v is None else format(v, spec)


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


print()
print(f"held calls: {int(CALLS)} concurrent, ramp {int(RAMP)}/s, {int(HOLD)} s each, "
      f"RTP 50 pps both ways, one RFC 2833 digit per call; {REPEATS} repeats")
print(f"{'':28}{'hotline':>14}{'baseline':>14}{'ratio':>9}")
rows = [
    ("successful calls (per run)", "ok", "d"),
    ("failed calls (per run)", "failed", "d"),
    ("  of them: SIP", "sip_failed", "d"),
    ("  too little RTP heard", "media_short", "d"),
    ("  only silence heard", "media_silent", "d"),
    ("RTP on time/expected p50", "rtp_share_p50", ".3f"),
    ("RTP on time/expected worst", "rtp_share_min", ".3f"),
    ("RTP late packets", "rtp_late", "d"),
    ("longest RTP gap ms max", "rtp_gap_max_ms", ".0f"),
    ("capture drops", "capture_dropped", "d"),
    ("capture CPU-s (tcpdump)", "capture_cpu_s", ".2f"),
    ("digits reaching the flow", "digits_in_flow", "d"),
    ("ramp rate achieved /s", "rate", ".1f"),
    ("200 OK time p50 ms", "rt_p50_ms", ".0f"),
    ("200 OK time p99 ms", "rt_p99_ms", ".0f"),
    ("CPU cores at N calls", "cores_plateau", ".3f"),
    ("machine busy cores at N", "machine_cores_plateau", ".2f"),
    ("CPU ms per call-second", "cpu_ms_per_call_second", ".3f"),
    ("CPU-s per call (whole call)", "cpu_ms_per_call", ".1f"),
    ("RSS idle MiB", "rss_idle_mib", ".1f"),
    ("RSS peak MiB", "rss_peak_mib", ".1f"),
    ("RSS per call KiB", "rss_kib_per_call", ".1f"),
]
for label, key, spec in rows:
    a, b = med(held_s, key), med(held_b, key)
    if key == "cpu_ms_per_call":
        a = a / 1000 if a is not None else None
        b = b / 1000 if b is not None else None
        spec = ".3f"
    rt = ratio(a, b) if key in ("rt_p50_ms", "rt_p99_ms") or key.startswith(("cores", "cpu", "rss")) \
        else None
    print(f"{label:28}{fmt(a, spec) if spec != 'd' or a is None else format(int(a), 'd'):>14}"
          f"{fmt(b, spec) if spec != 'd' or b is None else format(int(b), 'd'):>14}{fmt(rt):>9}")
if not media_checked:
    print("  (what the callers heard is not checked: MEDIA_CHECK=0 or no capture)")
print()
print(f"call set-up: {int(SHORT)} short calls (INVITE, 200, ACK, pause, BYE) at {int(CPS)}/s; "
      f"{REPEATS} repeats")
print(f"{'':28}{'hotline':>14}{'baseline':>14}{'ratio':>9}")
rows = [
    ("successful calls (per run)", "ok", "d"),
    ("failed calls (per run)", "failed", "d"),
    ("set-up rate achieved /s", "rate", ".1f"),
    ("200 OK time p50 ms", "rt_p50_ms", ".0f"),
    ("200 OK time p99 ms", "rt_p99_ms", ".0f"),
    ("200 OK time max ms", "rt_max_ms", ".0f"),
    ("CPU cores during the run", "cores_window", ".3f"),
    ("machine busy cores (run)", "machine_cores_window", ".2f"),
    ("CPU ms per call", "cpu_ms_per_call", ".3f"),
    ("RSS peak MiB", "rss_peak_mib", ".1f"),
]
for label, key, spec in rows:
    a, b = med(setup_s, key), med(setup_b, key)
    rt = ratio(a, b) if key not in ("ok", "failed", "rate", "machine_cores_window") else None
    print(f"{label:28}{fmt(a, spec) if spec != 'd' or a is None else format(int(a), 'd'):>14}"
          f"{fmt(b, spec) if spec != 'd' or b is None else format(int(b), 'd'):>14}{fmt(rt):>9}")
print()
for name, runs in (("held/hotline", held_s), ("held/baseline", held_b),
                   ("setup/hotline", setup_s), ("setup/baseline", setup_b)):
    for i, r in enumerate(runs, 1):
        extra = (f" cores@N {fmt(r.get('cores_plateau'), '.3f')} rss/call "
                 f"{fmt(r.get('rss_kib_per_call'), '.1f')} KiB digits {r.get('digits_in_flow')}"
                 if "cores_plateau" in r else f" cores {fmt(r['cores_window'], '.3f')}")
        if r.get("media_checked"):
            extra += (f"\n      heard: SIP ok {r['sip_ok']}, of them failed {r['media_failed']} "
                      f"(short {r['media_short']}, silent {r['media_silent']}, not in the capture "
                      f"{r['media_unchecked']}); RTP on time/expected p50 "
                      f"{fmt(r['rtp_share_p50'], '.3f')} worst {fmt(r['rtp_share_min'], '.3f')}, "
                      f"late {r['rtp_late']}, gap max {fmt(r['rtp_gap_max_ms'], '.0f')} ms; "
                      f"capture dropped {r['capture_dropped']}")
        print(f"  {name} #{i}: ok {r['ok']} failed {r['failed']} rate {fmt(r['rate'], '.1f')}/s "
              f"p50 {fmt(r['rt_p50_ms'], '.0f')} ms p99 {fmt(r['rt_p99_ms'], '.0f')} ms "
              f"cpu {fmt(r['cpu_ms_per_call'], '.2f')} ms/call{extra} rc {r['sipp_rc']}")

failed_total = sum(r["failed"] for r in held_s + setup_s)
short_total = sum(int(CALLS) - r["ok"] for r in held_s) + sum(int(SHORT) - r["ok"] for r in setup_s)
summary = {
    "calls": int(CALLS),
    "hold_secs": int(HOLD),
    "target_cps": int(CPS),
    "short_calls": int(SHORT),
    "repeats": REPEATS,
    "held_failed_total": sum(r["failed"] for r in held_s),
    "media_checked": media_checked,
    "held_media_failed_total": sum(r.get("media_failed", 0) for r in held_s),
    "held_media_failed_baseline_total": sum(r.get("media_failed", 0) for r in held_b),
    "held_rtp_share_min": min((r["rtp_share_min"] for r in held_s
                               if r.get("rtp_share_min") is not None), default=None),
    "held_rtp_share_p50": med(held_s, "rtp_share_p50"),
    "held_rtp_gap_max_ms": max((r["rtp_gap_max_ms"] for r in held_s
                                if r.get("rtp_gap_max_ms") is not None), default=None),
    "capture_dropped_total": sum(r.get("capture_dropped") or 0 for r in held_all),
    "held_ok_median": med(held_s, "ok"),
    "held_digits_median": med(held_s, "digits_in_flow"),
    "held_cores_at_n": med(held_s, "cores_plateau"),
    "held_cores_at_n_baseline": med(held_b, "cores_plateau"),
    "held_cpu_ratio": ratio(med(held_s, "cores_plateau"), med(held_b, "cores_plateau")),
    "held_cpu_ms_per_call_second": med(held_s, "cpu_ms_per_call_second"),
    "held_machine_cores_at_n": med(held_s, "machine_cores_plateau"),
    "held_rss_kib_per_call": med(held_s, "rss_kib_per_call"),
    "held_rss_kib_per_call_baseline": med(held_b, "rss_kib_per_call"),
    "held_rt_p99_ms": med(held_s, "rt_p99_ms"),
    "setup_failed_total": sum(r["failed"] for r in setup_s),
    "setup_ok_median": med(setup_s, "ok"),
    "setup_rate": med(setup_s, "rate"),
    "setup_rt_p50_ms": med(setup_s, "rt_p50_ms"),
    "setup_rt_p99_ms": med(setup_s, "rt_p99_ms"),
    "setup_cpu_ms_per_call": med(setup_s, "cpu_ms_per_call"),
    "setup_cpu_ms_per_call_baseline": med(setup_b, "cpu_ms_per_call"),
    "setup_cpu_ratio": ratio(med(setup_s, "cpu_ms_per_call"), med(setup_b, "cpu_ms_per_call")),
    "failed_or_missing_calls": failed_total + max(0, short_total - failed_total),
}


def inconclusive(r):
    """A run whose media check proves nothing: the capture dropped packets (or did not say),
    so a call may look short or whole because of the capture, not the target."""
    return r.get("media_error") or bool(r.get("media_checked")) and r.get("capture_dropped") != 0


if any(r.get("media_error") for r in held_all):
    print("rtp_check.py found no result for a captured run: its media check proves nothing")
if any(inconclusive(r) and not r.get("media_error") for r in held_all):
    print("the capture dropped packets: the media check of those runs proves nothing either way "
          "(raise CAPTURE_BUFFER_MIB); their SIP failures still count")
if summary["held_media_failed_baseline_total"]:
    print("the baseline, which only echoes, failed the media check: the machine or the check "
          "is at fault, not the server")
# Failures that are the server's for certain: SIP, or media in runs with a complete capture.
certain = sum(r["sip_failed"] if inconclusive(r) else r["failed"] for r in held_s) + sum(
    r["failed"] for r in setup_s) + max(0, short_total - failed_total)
summary["status"] = ("failed" if certain else
                     "inconclusive" if summary["failed_or_missing_calls"]
                     or summary["held_media_failed_baseline_total"]
                     or any(inconclusive(r) for r in held_all) else "ok")
print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}))
sys.exit({"ok": 0, "failed": 1, "inconclusive": 2}[summary["status"]])
