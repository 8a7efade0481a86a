package dev.plinth.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HostSchedulerTest {

    /** An item: its host and its name. */
    private record Job(String host, String name) {}

    private static List<Job> jobs(String host, int n) {
        List<Job> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Job(host, host + "/" + i));
        }
        return out;
    }

    private static HostScheduler.Limits limits(
            int perHost, Duration interval, int concurrency, int window, int attempts) {
        return new HostScheduler.Limits(
                perHost, interval, concurrency, window, attempts, Duration.ofMillis(20));
    }

    private static <R> List<R> drain(Iterator<R> it) {
        List<R> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void neverRunsMoreThanPerHostAtOnceAndSpacesStarts() {
        List<Job> input = new ArrayList<>();
        input.addAll(jobs("a", 12));
        input.addAll(jobs("b", 12));
        Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> peak = new ConcurrentHashMap<>();
        Map<String, List<Long>> starts = new ConcurrentHashMap<>();
        Duration interval = Duration.ofMillis(30);
        try (HostScheduler<Job, String> scheduler =
                new HostScheduler<>(
                        input.iterator(),
                        Job::host,
                        (job, attempt) -> {
                            starts.computeIfAbsent(
                                            job.host(),
                                            h -> Collections.synchronizedList(new ArrayList<>()))
                                    .add(System.nanoTime());
                            int now =
                                    active.computeIfAbsent(job.host(), h -> new AtomicInteger())
                                            .incrementAndGet();
                            peak.computeIfAbsent(job.host(), h -> new AtomicInteger())
                                    .accumulateAndGet(now, Math::max);
                            sleep(80);
                            active.get(job.host()).decrementAndGet();
                            return HostScheduler.Step.done(job.name());
                        },
                        limits(2, interval, 16, 100, 1))) {
            List<String> out = drain(scheduler);
            assertEquals(24, out.size());
        }
        for (String host : List.of("a", "b")) {
            assertTrue(peak.get(host).get() <= 2, host + " peaked at " + peak.get(host));
            assertEquals(2, peak.get(host).get(), host + " should use both of its slots");
            List<Long> s = new ArrayList<>(starts.get(host));
            Collections.sort(s);
            long span = s.getLast() - s.getFirst();
            // 12 starts at least 30 ms apart span 330 ms; a start may run a little late, never
            // early.
            assertTrue(
                    span >= Duration.ofMillis(330 - 40).toNanos(),
                    host + " started 12 requests within " + span / 1_000_000 + " ms");
        }
    }

    @Test
    void keepsOtherHostsBusyWhileOneIsSlow() {
        List<Job> input = new ArrayList<>(jobs("slow", 4));
        input.addAll(jobs("fast", 20));
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        try (HostScheduler<Job, String> scheduler =
                new HostScheduler<>(
                        input.iterator(),
                        Job::host,
                        (job, attempt) -> {
                            sleep(job.host().equals("slow") ? 300 : 5);
                            return HostScheduler.Step.done(job.name());
                        },
                        limits(1, Duration.ZERO, 8, 100, 1))) {
            order.addAll(drain(scheduler));
        }
        assertEquals(24, order.size());
        // The slow host needs 4 × 300 ms one at a time; the fast one is done long before.
        int lastFast = -1;
        int firstSlowAfterFirst = order.indexOf("slow/1");
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i).startsWith("fast/")) {
                lastFast = i;
            }
        }
        assertTrue(lastFast < firstSlowAfterFirst, "order: " + order);
    }

    @Test
    void retriesWithBackoffAndReturnsTheLastAttemptWhenNoneIsLeft() {
        Map<String, Integer> attempts = new ConcurrentHashMap<>();
        Map<String, List<Long>> times = new ConcurrentHashMap<>();
        List<Job> input = List.of(new Job("h", "always"), new Job("h", "once"));
        List<String> out;
        try (HostScheduler<Job, String> scheduler =
                new HostScheduler<>(
                        input.iterator(),
                        Job::host,
                        (job, attempt) -> {
                            attempts.merge(job.name(), 1, Integer::sum);
                            times.computeIfAbsent(job.name(), n -> new ArrayList<>())
                                    .add(System.nanoTime());
                            if (job.name().equals("once") && attempt == 2) {
                                return HostScheduler.Step.done("once ok");
                            }
                            return HostScheduler.Step.retry(
                                    job.name() + " failed " + attempt, null);
                        },
                        limits(2, Duration.ZERO, 4, 10, 4))) {
            out = drain(scheduler);
        }
        assertEquals(java.util.Set.of("once ok", "always failed 4"), new java.util.HashSet<>(out));
        assertEquals(4, attempts.get("always"));
        assertEquals(2, attempts.get("once"));
        // backoff 20 ms, then 40, then 80: the gaps grow
        List<Long> t = times.get("always");
        long third = t.get(3) - t.get(2);
        assertTrue(third >= Duration.ofMillis(75).toNanos(), "third gap " + third / 1_000_000);
    }

    @Test
    void honoursTheDelayAnAttemptAsksFor() {
        List<Long> times = Collections.synchronizedList(new ArrayList<>());
        try (HostScheduler<Job, String> scheduler =
                new HostScheduler<>(
                        List.of(new Job("h", "x")).iterator(),
                        Job::host,
                        (job, attempt) -> {
                            times.add(System.nanoTime());
                            return attempt == 1
                                    ? HostScheduler.Step.retry("busy", Duration.ofMillis(300))
                                    : HostScheduler.Step.done("ok");
                        },
                        limits(1, Duration.ZERO, 1, 10, 3))) {
            assertEquals(List.of("ok"), drain(scheduler));
        }
        assertTrue(times.get(1) - times.get(0) >= Duration.ofMillis(295).toNanos());
    }

    @Test
    void takesNoMoreThanTheWindowFromTheSource() {
        AtomicInteger taken = new AtomicInteger();
        Iterator<Job> input = jobs("h", 200).iterator();
        Iterator<Job> counting =
                new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return input.hasNext();
                    }

                    @Override
                    public Job next() {
                        taken.incrementAndGet();
                        return input.next();
                    }
                };
        Map<String, Integer> seen = new HashMap<>();
        try (HostScheduler<Job, String> scheduler =
                new HostScheduler<>(
                        counting,
                        Job::host,
                        (job, attempt) -> HostScheduler.Step.done(job.name()),
                        limits(4, Duration.ZERO, 4, 8, 1))) {
            int returned = 0;
            while (scheduler.hasNext()) {
                seen.merge(scheduler.next(), 1, Integer::sum);
                returned++;
                assertTrue(
                        taken.get() - returned <= 8, "taken " + taken + ", returned " + returned);
            }
        }
        assertEquals(200, seen.size());
    }
}
