package io.drover.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the machine's CPU went during a measurement, from /proc: this JVM (the Drover server and
 * the SDK client and workers), the benchmark's PostgreSQL (postmaster, its live backends and the
 * ones that ended), and everything else on the machine — the other engineers' builds — plus steal.
 * Linux only; elsewhere every figure is NaN.
 */
public final class CpuMeter {
    private static final double HZ = 100.0; // USER_HZ: /proc reports clock ticks of 1/100 s on Linux

    /** CPU seconds at one moment, and the wall clock. */
    public record Sample(long nanos, double busy, double steal, double jvm, double postgres, double[] load) {}

    /** Cores' worth of CPU used between two samples, by whom. */
    public record Usage(double seconds, double total, double jvm, double postgres, double others, double steal,
                 double[] loadBefore, double[] loadAfter) {
        public String describe() {
            if (Double.isNaN(total)) {
                return "n/a";
            }
            return String.format("machine %.2f of %d cores busy: Drover JVM %.2f, PostgreSQL %.2f, other processes %.2f"
                    + (steal > 0.005 ? ", steal %.2f" : ""), total, Runtime.getRuntime().availableProcessors(), jvm,
                    postgres, others, steal);
        }
    }

    private final Path pgData;

    public CpuMeter(Path pgData) {
        this.pgData = pgData;
    }

    public Sample sample() {
        long now = System.nanoTime();
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            double busy = (Long.parseLong(cpu[1]) + Long.parseLong(cpu[2]) + Long.parseLong(cpu[3])
                    + Long.parseLong(cpu[6]) + Long.parseLong(cpu[7])) / HZ;
            double steal = cpu.length > 8 ? Long.parseLong(cpu[8]) / HZ : 0;
            double jvm = ticks(ProcessHandle.current().pid(), false);
            long postmaster = postmasterPid();
            double pg = 0;
            if (postmaster > 0) {
                pg = ticks(postmaster, true); // its own time plus the backends it has reaped
                for (long pid : children(postmaster)) {
                    pg += ticks(pid, false);
                }
            }
            return new Sample(now, busy, steal, jvm, pg, loadAverage());
        } catch (IOException | RuntimeException e) {
            return new Sample(now, Double.NaN, Double.NaN, Double.NaN, Double.NaN, loadAverage());
        }
    }

    public static Usage between(Sample a, Sample b) {
        double secs = (b.nanos() - a.nanos()) / 1e9;
        double total = (b.busy() - a.busy()) / secs;
        double jvm = (b.jvm() - a.jvm()) / secs;
        double pg = (b.postgres() - a.postgres()) / secs;
        double steal = (b.steal() - a.steal()) / secs;
        return new Usage(secs, total, jvm, pg, Math.max(0, total - jvm - pg), steal, a.load(), b.load());
    }

    /** The 1, 5 and 15 minute load averages, as uptime shows them. */
    static double[] loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (IOException | RuntimeException e) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
    }

    static String formatLoad(double[] l) {
        return String.format("%.2f, %.2f, %.2f", l[0], l[1], l[2]);
    }

    private long postmasterPid() throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return -1;
        }
        return Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    }

    /** utime + stime (+ cutime + cstime) of a process, in seconds; 0 when it is gone. */
    private static double ticks(long pid, boolean withChildren) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // Fields after the command, which is in parentheses and may hold spaces.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split("\\s+");
            // f[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17
            double t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            if (withChildren) {
                t += Long.parseLong(f[13]) + Long.parseLong(f[14]);
            }
            return t / HZ;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static List<Long> children(long parent) {
        return ProcessHandle.of(parent).map(p -> p.children().map(ProcessHandle::pid).toList()).orElse(List.of());
    }
}
