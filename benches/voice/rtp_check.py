#!/usr/bin/env python3
"""Checks what the callers of one held-call run heard, from a tcpdump capture on loopback.

The capture holds both directions between the callers' media port (sipp's -mp: with rtp_stream,
sipp 3.6 sends and receives every call's RTP on that one port) and the target's RTP ports. A
call is one stream the caller sent: (target port, SSRC) from its first to its last packet, i.e.
from the caller's ACK to its BYE, the time the call was answered. The RTP the target sent back
belongs to the call with the same target port at that time; where one port serves every call
(sipp's echoing UAS) the SSRC, which an echo keeps, tells the calls apart.

A call passes when the caller got at least MIN_SHARE of the packets 50 packets/s over its
window promise, on time (a packet more than LATE_MS behind its RTP timestamp, measured against
the earliest packet of the stream, would miss any jitter buffer: it does not count), and when
not every PCMU payload was (near-)silent (µ-law 0xFF/0x7F is zero, 0xFE/0x7E one step off it).
The capture keeps only the first bytes of each payload (tcpdump -s), enough to tell audio
from silence.

usage: rtp_check.py PCAP CALLER_PORT OUT_JSON [CALLS_TSV]
env:   MIN_SHARE (0.9), LATE_MS (1000)
Only the standard library: struct over the pcap file.
"""
import bisect
from array import array
import json
import mmap
import os
import statistics
import struct
import sys

DIGIT_SSRC = 0x42454E43  # pcmu_pcap.py's SSRC: the caller's one-digit pcap, not a call's stream
PACKETS_PER_SECOND = 50
SILENT = bytes([0xFF, 0x7F, 0xFE, 0x7E])
LINK_HEADER = {1: 14, 113: 16, 276: 20}  # Ethernet (lo), Linux cooked v1 and v2 (-i any)
# Received packets this far before a caller stream's first or after its last packet still
# belong to it: the target answers (and may start sending) before the caller's ACK.
SLACK_BEFORE, SLACK_AFTER = 0.2, 0.1


def packets(path):
    """(time, src port, dst port, RTP bytes as captured) of every UDP/IPv4 packet in the file."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size < 24:
            return
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    magic = struct.unpack_from("<I", data)[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    else:
        end = ">"
        magic = struct.unpack_from(">I", data)[0]
    frac = 1e-9 if magic == 0xA1B23C4D else 1e-6
    link = struct.unpack_from(end + "I", data, 20)[0]
    if link not in LINK_HEADER:
        sys.exit(f"rtp_check: link type {link} not supported")
    l2 = LINK_HEADER[link]
    rec = struct.Struct(end + "IIII")
    ports = struct.Struct("!HH")
    off, n = 24, len(data)
    while off + 16 <= n:
        sec, sub, cap, _ = rec.unpack_from(data, off)
        off += 16
        ip = l2
        if data[off + ip] >> 4 != 4 or data[off + ip + 9] != 17:
            off += cap
            continue
        udp = ip + (data[off + ip] & 0x0F) * 4
        sport, dport = ports.unpack_from(data, off + udp)
        yield sec + sub * frac, sport, dport, data[off + udp + 8:off + cap]
        off += cap


def main():
    pcap, caller_port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    calls_tsv = sys.argv[4] if len(sys.argv) > 4 else None
    min_share = float(os.environ.get("MIN_SHARE", "0.9"))
    late_s = float(os.environ.get("LATE_MS", "1000")) / 1000
    rtp = struct.Struct("!BBHII")

    # First pass: the calls, i.e. the streams the callers sent.
    sent = {}  # (target port, ssrc) -> [first, last, packets]
    not_rtp = 0
    for t, sport, dport, body in packets(pcap):
        if len(body) < 12 or body[0] >> 6 != 2:
            not_rtp += 1
            continue
        if sport != caller_port:
            continue
        ssrc = rtp.unpack_from(body)[4]
        if ssrc == DIGIT_SSRC:
            continue
        w = sent.get((dport, ssrc))
        if w is None:
            sent[(dport, ssrc)] = [t, t, 1]
        else:
            w[1] = t
            w[2] += 1

    calls = [{"port": port, "ssrc": ssrc, "first": w[0], "last": w[1], "sent": w[2],
              "got": 0, "on_time": 0, "pcmu": 0, "audible": 0, "gap": 0.0, "_streams": {}}
             for (port, ssrc), w in sent.items()]
    by_port = {}
    for c in calls:
        by_port.setdefault(c["port"], []).append(c)
    by_ssrc = {(c["port"], c["ssrc"]): c for c in calls}
    for lst in by_port.values():
        lst.sort(key=lambda c: c["first"])
    starts = {p: [c["first"] for c in lst] for p, lst in by_port.items()}

    # Second pass: what came back, given to the calls.
    unassigned = outside = 0
    for t, port, dport, body in packets(pcap):
        if dport != caller_port or len(body) < 12 or body[0] >> 6 != 2:
            continue
        _, mpt, _, ts, ssrc = rtp.unpack_from(body)
        c = by_ssrc.get((port, ssrc))
        if c is None:
            lst = by_port.get(port)
            if not lst:
                unassigned += 1
                continue
            # The stream on this port that started last before t (+ slack); one port serving
            # several calls at once without an echoed SSRC cannot be told apart.
            i = bisect.bisect_right(starts[port], t + SLACK_BEFORE) - 1
            if i < 0:
                outside += 1
                continue
            if i > 0 and lst[i - 1]["last"] + SLACK_AFTER >= t:
                unassigned += 1
                continue
            c = lst[i]
        if not c["first"] - SLACK_BEFORE <= t <= c["last"] + SLACK_AFTER:
            outside += 1
            continue
        c["got"] += 1
        if mpt & 0x7F == 0:
            c["pcmu"] += 1
            c["audible"] += len(body[12 + 4 * (body[0] & 0x0F):].translate(None, SILENT)) > 0
        # Lateness against the stream's own clock: arrival minus RTP time (unwrapped), compared
        # below with the smallest such offset of the stream.
        st = c["_streams"].setdefault(ssrc, {"ts0": ts, "unwrap": 0, "prev": ts, "min": None,
                                             "last_t": None, "times": array("d")})
        if ts < st["prev"] and st["prev"] - ts > 1 << 31:
            st["unwrap"] += 1 << 32
        elif ts > st["prev"] and ts - st["prev"] > 1 << 31:
            st["unwrap"] -= 1 << 32  # a reordered packet from before a wrap
        st["prev"] = ts
        offset = t - (ts + st["unwrap"] - st["ts0"]) / 8000
        st["times"].append(offset)
        if st["min"] is None or offset < st["min"]:
            st["min"] = offset
        if st["last_t"] is not None:
            c["gap"] = max(c["gap"], t - st["last_t"])
        st["last_t"] = t

    for c in calls:
        # Late against the earliest offset of the whole stream: packets before a stall were on
        # time, the burst after it is late by the stall.
        for st in c.pop("_streams").values():
            c["on_time"] += sum(1 for o in st["times"] if o - st["min"] <= late_s)
        span = c["last"] - c["first"]
        c["expected"] = span * PACKETS_PER_SECOND
        c["share"] = c["on_time"] / c["expected"] if c["expected"] > 0 else 0.0
        c["short"] = c["share"] < min_share
        c["silent"] = c["audible"] == 0
        c["ok"] = not c["short"] and not c["silent"]

    shares = sorted(c["share"] for c in calls)
    gaps = sorted(c["gap"] for c in calls)
    summary = {
        "calls": len(calls),
        "ok": sum(c["ok"] for c in calls),
        "failed": sum(not c["ok"] for c in calls),
        "failed_short": sum(c["short"] for c in calls),
        "failed_silent": sum(c["silent"] for c in calls),
        "received": sum(c["got"] for c in calls),
        "late": sum(c["got"] - c["on_time"] for c in calls),
        "expected": round(sum(c["expected"] for c in calls)),
        "share_min": shares[0] if shares else None,
        "share_p50": statistics.median(shares) if shares else None,
        "audible_share_p50": statistics.median(
            c["audible"] / c["pcmu"] if c["pcmu"] else 0.0 for c in calls) if calls else None,
        "gap_p50_ms": statistics.median(gaps) * 1000 if gaps else None,
        "gap_max_ms": gaps[-1] * 1000 if gaps else None,
        "unassigned": unassigned,
        "outside_window": outside,
        "not_rtp": not_rtp,
        "min_share": min_share,
        "late_ms": late_s * 1000,
    }
    with open(out, "w") as f:
        json.dump(summary, f)
    if calls_tsv:
        with open(calls_tsv, "w") as f:
            f.write("target_port\tssrc\tsecs\tsent\texpected\tgot\ton_time\tpcmu\taudible"
                    "\tgap_ms\tok\n")
            for c in sorted(calls, key=lambda c: c["first"]):
                f.write(f"{c['port']}\t{c['ssrc']:08x}\t{c['last'] - c['first']:.2f}\t"
                        f"{c['sent']}\t{c['expected']:.0f}\t{c['got']}\t{c['on_time']}\t"
                        f"{c['pcmu']}\t{c['audible']}\t{c['gap'] * 1000:.0f}\t"
                        f"{'ok' if c['ok'] else 'short' if c['short'] else 'silent'}"
                        f"{'+silent' if c['short'] and c['silent'] else ''}\n")


if __name__ == "__main__":
    main()
