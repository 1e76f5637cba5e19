#!/usr/bin/env python3
"""Writes a PCMU RTP stream as a pcap for sipp's play_pcap_audio: SECONDS of 20 ms packets
(50 a second) of quiet comfort noise, with one RFC 2833 digit (payload type 101) at DIGIT_AT
seconds. Addresses and ports in the file are placeholders; sipp sends from its media port to
the port in the answer's SDP.

usage: pcmu_pcap.py OUT SECONDS [DIGIT] [DIGIT_AT]
       pcmu_pcap.py --raw OUT SECONDS   # the same noise as raw µ-law bytes, for sipp's rtp_stream
"""
import random
import struct
import sys

EVENTS = {str(d): d for d in range(10)} | {"*": 10, "#": 11}


def ulaw(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exp = 7
    mask = 0x4000
    while exp > 0 and not sample & mask:
        exp -= 1
        mask >>= 1
    mant = (sample >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def udp_frame(payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", 6000, 6000, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    eth = b"\x00" * 12 + b"\x08\x00"
    return eth + ip + udp


def main() -> None:
    if sys.argv[1] == "--raw":
        rng = random.Random(0)
        count = int(float(sys.argv[3]) * 8000)
        with open(sys.argv[2], "wb") as f:
            f.write(bytes(ulaw(rng.randint(-24, 24)) for _ in range(count)))
        return
    out, seconds = sys.argv[1], float(sys.argv[2])
    digit = sys.argv[3] if len(sys.argv) > 3 else "2"
    digit_at = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
    rng = random.Random(0)
    packets = []
    seq, ts, ssrc = 1000, 160_000, 0x42454E43
    n = int(seconds * 50)
    event_start = int(digit_at * 50)
    event_frames = 5  # 100 ms of tone, then three end packets
    for i in range(n):
        t_us = i * 20_000
        if event_start <= i < event_start + event_frames + 3:
            k = i - event_start
            end = k >= event_frames - 1
            duration = min(k + 1, event_frames) * 160
            marker = 0x80 if k == 0 else 0
            ev = struct.pack("!BBH", EVENTS[digit], (0x80 if end else 0) | 10, duration)
            rtp = struct.pack("!BBHII", 0x80, marker | 101, seq, event_ts, ssrc) + ev
        else:
            event_ts = ts
            payload = bytes(ulaw(rng.randint(-24, 24)) for _ in range(160))
            rtp = struct.pack("!BBHII", 0x80, 0, seq, ts, ssrc) + payload
        seq = (seq + 1) & 0xFFFF
        ts = (ts + 160) & 0xFFFFFFFF
        packets.append((t_us, udp_frame(rtp)))
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t_us, frame in packets:
            f.write(struct.pack("<IIII", 1_700_000_000 + t_us // 1_000_000, t_us % 1_000_000,
                                len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
