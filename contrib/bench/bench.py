#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for contrib/bench/run.sh (standard library only).

  bench.py fio --out RESULTS.jsonl --tag k=v,... --ramp S --runtime S
               [--pids PID,...] -- FIO ARGS...
      Run one fio job (JSON output) while measuring CPU time over its
      steady-state window; append one JSON record to RESULTS.jsonl and print
      a one-line summary.
  bench.py report --in RESULTS.jsonl --out DIR
      Medians per (target, workload, numjobs): table on stdout, DIR/summary.csv,
      DIR/results.csv (every repetition), DIR/chart.png (gnuplot).
  bench.py shares BEFORE.json AFTER.json
      "TOTAL a=PCT b=PCT ...": I/Os between two `show stats json` replies and
      each path's share of them.
  bench.py busy [SECONDS]
      Whole-machine busy cores over SECONDS (default 5).
  bench.py fiosum FIO.json
      "iops p99_us mean_us" of one fio JSON output (reads and writes together).

CPU per I/O (see README.md): two numbers, both as CPU-microseconds per I/O
in the steady-state window (after the ramp, before the end):
  cpu_sys  whole machine: /proc/stat busy time (user+nice+system+irq+softirq)
           divided by the I/Os done. Includes everything, also other load.
  cpu_proc attributed: fio's threads + the serving daemon(s) (/proc/PID/stat
           utime+stime) + every kernel thread (kworkers: loop, aio, FUSE
           wakeups; ksoftirqd) + the machine's irq+softirq time.
"""
import json
import os
import statistics
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def proc_stat_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = v[:7]
    return (user + nice + system + irq + softirq) / HZ, (irq + softirq) / HZ


def pid_cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is field 3 (state): utime is field 14, stime 15
    return (int(rest[11]) + int(rest[12])) / HZ, int(rest[1])


def kthreads_cpu():
    """{pid: cpu seconds} of kernel threads (kthreadd and its children)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        r = pid_cpu(pid)
        if r and (pid == 2 or r[1] == 2):
            out[pid] = r[0]
    return out


def sample(pids):
    busy, irq = proc_stat_busy()
    procs = {p: (pid_cpu(p) or (0.0, 0))[0] for p in pids}
    return {"t": time.monotonic(), "busy": busy, "irq": irq, "procs": procs,
            "kthreads": kthreads_cpu()}


def delta_cpu(a, b):
    sys_cpu = b["busy"] - a["busy"]
    proc = sum(b["procs"][p] - a["procs"].get(p, 0.0) for p in b["procs"])
    kt = sum(v - a["kthreads"].get(p, 0.0) for p, v in b["kthreads"].items())
    return sys_cpu, proc + kt + (b["irq"] - a["irq"])


def fio_summary(j):
    """iops, MB/s, p99 us, mean us over reads and writes of the (grouped) job."""
    iops = mbps = 0.0
    p99 = mean = 0.0
    n = 0
    for job in j["jobs"]:
        for d in ("read", "write"):
            x = job[d]
            if x["total_ios"] == 0 and x["io_bytes"] == 0:
                continue
            iops += x["iops"]
            mbps += x["bw_bytes"] / 1e6
            pct = x["clat_ns"].get("percentile", {})
            p99 = max(p99, pct.get("99.000000", 0) / 1e3)
            mean += x["clat_ns"]["mean"] / 1e3 * x["iops"]
            n += 1
    return iops, mbps, p99, (mean / iops if iops else 0.0)


def load_fio_json(path):
    with open(path) as f:
        text = f.read()
    # fio may print warnings before the JSON
    return json.loads(text[text.index("{"):])


def cmd_fio(argv):
    opts = {"--pids": "", "--tag": ""}
    i = 0
    while argv[i] != "--":
        opts[argv[i]] = argv[i + 1]
        i += 2
    fio_args = argv[i + 1:]
    out, ramp, runtime = opts["--out"], float(opts["--ramp"]), float(opts["--runtime"])
    pids = [int(p) for p in opts["--pids"].split(",") if p]
    tags = dict(kv.split("=", 1) for kv in opts["--tag"].split(",") if kv)
    jpath = out + ".fio.tmp.json"
    proc = subprocess.Popen(["fio", "--output-format=json", "--output=" + jpath,
                             "--thread"] + fio_args)
    t0 = time.monotonic()
    # the steady state: from a little after the ramp to a little before the end
    guard = min(0.5, runtime / 6)
    a = b = None
    try:
        time.sleep(ramp + guard)
        a = sample([proc.pid] + pids)
        time.sleep(max(0.2, t0 + ramp + runtime - guard - time.monotonic()))
        b = sample([proc.pid] + pids)
        rc = proc.wait(timeout=ramp + runtime + 120)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    rec = dict(tags)
    try:
        j = load_fio_json(jpath)
        iops, mbps, p99, mean = fio_summary(j)
        err = max(job["error"] for job in j["jobs"])
    except (OSError, ValueError, KeyError) as e:
        iops = mbps = p99 = mean = 0.0
        err = "bad fio output: %s" % e
    window = b["t"] - a["t"]
    sys_cpu, proc_cpu = delta_cpu(a, b)
    us = lambda c: (c / window) / iops * 1e6 if iops else 0.0
    rec.update(iops=round(iops, 1), mbps=round(mbps, 2), p99_us=round(p99, 1),
               mean_us=round(mean, 1), cpu_sys_us=round(us(sys_cpu), 2),
               cpu_proc_us=round(us(proc_cpu), 2),
               busy_cores=round(sys_cpu / window, 3),
               other_cores=round(max(0.0, sys_cpu - proc_cpu) / window, 3),
               window_s=round(window, 2), rc=rc, error=err)
    with open(out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    try:
        os.unlink(jpath)
    except OSError:
        pass
    print("  %-10s %-9s nj%s rep%s: %9.0f IOPS %8.1f MB/s p99 %8.0f us  cpu/io %6.1f us"
          " (sys %6.1f, other load %.2f cores)%s" %
          (tags.get("target", "?"), tags.get("workload", "?"), tags.get("numjobs", "?"),
           tags.get("rep", "?"), iops, mbps, p99, rec["cpu_proc_us"], rec["cpu_sys_us"],
           rec["other_cores"], "" if rc == 0 and not err else "  FAILED rc=%s err=%s" % (rc, err)),
          flush=True)
    return 0 if rc == 0 and not err else 1


TARGET_ORDER = ["raw", "null", "ref", "ref+loop", "nbd", "mp1", "mp1+loop", "mp2", "mp2+loop"]
TARGET_DESC = {
    "raw": "loop device (direct-io) over the image",
    "null": "refpt --null: FUSE round trip only, no storage I/O (a ceiling, not a device)",
    "ref": "reference FUSE passthrough (refpt) file",
    "ref+loop": "loop (direct-io) over the refpt file",
    "nbd": "nbdfuse over nbdkit file plugin (cache=none)",
    "mp1": "mpathfs device file, 1 path",
    "mp1+loop": "loop (direct-io) over mpathfs device file, 1 path",
    "mp2": "mpathfs device file, 2 paths",
    "mp2+loop": "loop (direct-io) over mpathfs device file, 2 paths",
}
WORKLOADS = ["randread", "randwrite", "seqread", "seqwrite"]
WL_DESC = {"randread": "4k randread QD32", "randwrite": "4k randwrite QD32",
           "seqread": "1M seqread QD8", "seqwrite": "1M seqwrite QD8"}


def cmd_report(argv):
    opts = dict(zip(argv[::2], argv[1::2]))
    recs = [json.loads(l) for l in open(opts["--in"]) if l.strip()]
    outdir = opts["--out"]
    groups = {}
    for r in recs:
        groups.setdefault((r["target"], r["workload"], r["numjobs"]), []).append(r)
    fields = ["iops", "mbps", "p99_us", "mean_us", "cpu_proc_us", "cpu_sys_us", "other_cores"]
    med = {}
    for k, rs in groups.items():
        ok = [r for r in rs if r["rc"] == 0 and not r["error"]]
        m = {f: statistics.median(r[f] for r in ok) if ok else 0.0 for f in fields}
        m["n"] = len(ok)
        m["failed"] = len(rs) - len(ok)
        med[k] = m
    targets = [t for t in TARGET_ORDER if any(k[0] == t for k in med)]
    targets += sorted({k[0] for k in med} - set(targets))
    cases = [(w, nj) for w in WORKLOADS for nj in sorted({k[2] for k in med}, key=int)
             if any(k[1] == w and k[2] == nj for k in med)]

    # every repetition
    with open(os.path.join(outdir, "results.csv"), "w") as f:
        cols = ["target", "workload", "numjobs", "rep", "iops", "mbps", "p99_us", "mean_us",
                "cpu_proc_us", "cpu_sys_us", "busy_cores", "other_cores", "window_s", "rc", "error"]
        f.write(",".join(cols) + "\n")
        for r in recs:
            f.write(",".join(str(r.get(c, "")) for c in cols) + "\n")

    lines = []
    csv = ["workload,numjobs,target,reps,iops,mbps,p99_us,mean_us,cpu_proc_us_per_io,"
           "cpu_sys_us_per_io,other_load_cores,iops_vs_raw,iops_vs_ref,cpu_vs_raw,cpu_vs_ref"]
    hdr = "%-10s %9s %8s %9s %9s %9s %7s %7s %7s %7s" % (
        "target", "IOPS", "MB/s", "p99 ms", "cpu/io", "sys/io", "vs raw", "vs ref",
        "cpu/raw", "cpu/ref")
    for w, nj in cases:
        lines.append("")
        lines.append("== %s, numjobs %s ==" % (WL_DESC.get(w, w), nj))
        lines.append(hdr)
        raw = med.get(("raw", w, nj))
        ref = med.get(("ref", w, nj))
        for t in targets:
            m = med.get((t, w, nj))
            if not m:
                continue
            ratio = lambda a, b, f: (a[f] / b[f]) if b and b[f] else float("nan")
            vr, vf = ratio(m, raw, "iops"), ratio(m, ref, "iops")
            cr, cf = ratio(m, raw, "cpu_proc_us"), ratio(m, ref, "cpu_proc_us")
            lines.append("%-10s %9.0f %8.1f %9.2f %9.1f %9.1f %6.0f%% %6.0f%% %6.2fx %6.2fx%s" % (
                t, m["iops"], m["mbps"], m["p99_us"] / 1e3, m["cpu_proc_us"], m["cpu_sys_us"],
                vr * 100, vf * 100, cr, cf,
                "  (%d failed runs)" % m["failed"] if m["failed"] else ""))
            csv.append("%s,%s,%s,%d,%.1f,%.2f,%.1f,%.1f,%.2f,%.2f,%.3f,%.4f,%.4f,%.4f,%.4f" % (
                w, nj, t, m["n"], m["iops"], m["mbps"], m["p99_us"], m["mean_us"],
                m["cpu_proc_us"], m["cpu_sys_us"], m["other_cores"], vr, vf, cr, cf))
    others = [r["other_cores"] for r in recs if r["rc"] == 0 and not r["error"]]
    if others:
        lines.append("")
        lines.append("other load on the machine during the runs (whole-machine busy minus attributed):"
                     " median %.2f cores, max %.2f, of %d" % (statistics.median(others), max(others),
                                                              os.cpu_count()))
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(outdir, "table.txt"), "w") as f:
        f.write(table.lstrip("\n") + "\n")
        f.write("\ncpu/io: attributed CPU-us per I/O (fio + daemons + kernel threads + irq);"
                " sys/io: whole machine\n")
        for t in targets:
            f.write("  %-9s %s\n" % (t, TARGET_DESC.get(t, "")))
    with open(os.path.join(outdir, "summary.csv"), "w") as f:
        f.write("\n".join(csv) + "\n")
    chart(outdir, med, targets, cases)
    return 0


def chart(outdir, med, targets, cases):
    dat = os.path.join(outdir, "chart.dat")
    base = "raw" if "raw" in targets else targets[0]
    # the throughput panel stops at YMAX% so raw-sized bars stay readable
    # next to null (the FUSE round trip with no storage, several times raw)
    YMAX = 160
    clipped = {}
    with open(dat, "w") as f:
        f.write("case " + " ".join('"%s"' % t for t in targets) + "\n")
        for w, nj in cases:
            raw = med.get((base, w, nj))
            for t in targets:
                m = med.get((t, w, nj))
                if m and raw and raw["iops"] and 100 * m["iops"] / raw["iops"] > YMAX:
                    clipped.setdefault(t, []).append(100 * m["iops"] / raw["iops"])
            row = ['"%s nj%s"' % (WL_DESC.get(w, w).replace(" QD", "\\nQD"), nj)]
            for t in targets:
                m = med.get((t, w, nj))
                row.append("%.1f" % (100 * m["iops"] / raw["iops"]) if m and raw and raw["iops"] else "-")
            f.write(" ".join(row) + "\n")
        f.write("\n\n")
        f.write("case " + " ".join('"%s"' % t for t in targets) + "\n")
        for w, nj in cases:
            row = ['"%s nj%s"' % (WL_DESC.get(w, w).replace(" QD", "\\nQD"), nj)]
            for t in targets:
                m = med.get((t, w, nj))
                row.append("%.2f" % m["cpu_proc_us"] if m and m["cpu_proc_us"] > 0 else "-")
            f.write(" ".join(row) + "\n")
    gp = os.path.join(outdir, "chart.gp")
    n = len(targets)
    note = "; ".join("%s off the scale: %.0f-%.0f%%" % (t, min(v), max(v)) for t, v in clipped.items())
    # ten distinct colours: gnuplot's default cycle repeats after eight
    colours = ["#9400d3", "#009e73", "#56b4e9", "#e69f00", "#f0e442", "#0072b2",
               "#e51e10", "#000000", "#a0522d", "#808080"]
    lts = "\n".join("set linetype %d lc rgb '%s'" % (i + 1, c) for i, c in enumerate(colours))
    with open(gp, "w") as f:
        f.write("""set terminal pngcairo size 1500,1000 noenhanced font ',10'
set output '%s'
set datafile missing '-'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top vertical
set grid ytics
set bmargin 4
set xtics scale 0
%s
set multiplot layout 2,1 title 'mpathfs side by side (fio O_DIRECT libaio, medians)'
set title "Throughput relative to %s (%%, higher is better)%s"
set ylabel '%% of %s IOPS'
set yrange [0:%d]
plot for [i=2:%d] '%s' index 0 using i:xtic(1) title columnheader(i)
set title 'CPU per I/O, attributed (us, log scale, lower is better)'
set ylabel 'CPU us per I/O'
set logscale y
set yrange [*:*]
plot for [i=2:%d] '%s' index 1 using i:xtic(1) title columnheader(i)
unset multiplot
""" % (os.path.join(outdir, "chart.png"), lts, base, "\\n" + note if note else "", base, YMAX,
       n + 1, dat, n + 1, dat))
    try:
        r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
        if r.returncode:
            print("gnuplot failed: " + r.stderr.strip(), file=sys.stderr)
    except FileNotFoundError:
        print("gnuplot not installed: no chart", file=sys.stderr)


def path_counts(path):
    j = load_fio_json(path)
    return {p["name"]: p["reads"] + p["writes"] for p in j["paths"]}


def cmd_shares(argv):
    a, b = path_counts(argv[0]), path_counts(argv[1])
    d = {k: b[k] - a.get(k, 0) for k in b}
    tot = sum(d.values()) or 1
    print(tot, " ".join("%s=%.1f" % (k, 100.0 * v / tot) for k, v in d.items()))
    return 0


def cmd_busy(argv):
    """busy cores over SECONDS seconds (whole machine)"""
    secs = float(argv[0]) if argv else 5.0
    a, _ = proc_stat_busy()
    t = time.monotonic()
    time.sleep(secs)
    b, _ = proc_stat_busy()
    print("%.2f" % ((b - a) / (time.monotonic() - t)))
    return 0


def cmd_fiosum(argv):
    iops, mbps, p99, mean = fio_summary(load_fio_json(argv[0]))
    print("%.0f %.0f %.0f" % (iops, p99, mean))
    return 0


def main():
    cmds = {"fio": cmd_fio, "report": cmd_report, "shares": cmd_shares, "fiosum": cmd_fiosum,
            "busy": cmd_busy}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:	# Ctrl-C: run.sh cleans up
        sys.exit(130)
