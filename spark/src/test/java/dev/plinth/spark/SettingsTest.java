package dev.plinth.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.models.BatchOptions;
import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The job's small decisions, without Spark: input formats, settings, Retry-After. */
class SettingsTest {

    @Test
    void tellsTheInputFormatFromTheFileName() {
        assertEquals(Batch.Format.WARC, Batch.formatOf("crawl/CC-MAIN-1.warc.gz"));
        assertEquals(Batch.Format.WARC, Batch.formatOf("s3a://bucket/crawl/*.warc.gz"));
        assertEquals(Batch.Format.WARC, Batch.formatOf("one.WARC"));
        assertEquals(Batch.Format.CSV, Batch.formatOf("pages.csv"));
        assertEquals(Batch.Format.PARQUET, Batch.formatOf("hdfs:///pages.parquet/"));
        assertEquals(Batch.Format.URLS, Batch.formatOf("urls.txt"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Batch.formatOf("pages"));
        assertTrue(e.getMessage().contains("--format"), e.getMessage());
    }

    @Test
    void refusesSettingsThatCannotWork() {
        assertThrows(
                IllegalArgumentException.class, () -> Plinth.Settings.builder().perHost(0).build());
        IllegalArgumentException rate =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Plinth.Settings.builder().perHostRate(0).build());
        assertTrue(rate.getMessage().contains("0.0"), rate.getMessage());
        IllegalArgumentException browser =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Plinth.Settings.builder().format(Options.Format.SCREENSHOT).build());
        assertTrue(browser.getMessage().contains("browser"), browser.getMessage());
    }

    @Test
    void embedsWithoutTheServersQueueBoundsSoRowsWaitInsteadOfFailing() {
        // BatchSpeed's --embed run on a busy machine failed 1545 of 1810 rows with "model is
        // busy" under the server's bounds (131072 tokens, 10 s of work).
        BatchOptions batching = PerJvm.batching();
        assertEquals(Long.MAX_VALUE, batching.queueTokens());
        assertTrue(batching.maxWait().compareTo(Duration.ofHours(1)) > 0, batching.toString());
        assertEquals(PerJvm.executorCores(), batching.workers());
    }

    @Test
    void turnsTheRateIntoAnIntervalBetweenStarts() {
        HostScheduler.Limits limits = Plinth.Settings.builder().perHostRate(4).build().limits();
        assertEquals(Duration.ofMillis(250), limits.interval());
        assertEquals(2, limits.perHost());
    }

    private static Page answer(String retryAfter) {
        return new Page(
                URI.create("http://example.com/"),
                429,
                "text/html",
                null,
                new byte[0],
                retryAfter == null ? Map.of() : Map.of("retry-after", List.of(retryAfter)));
    }

    @Test
    void readsRetryAfterInSecondsOrAsADateAndCapsIt() {
        assertNull(Reads.retryAfter(answer(null)));
        assertNull(Reads.retryAfter(answer("soon")));
        assertEquals(Duration.ofSeconds(7), Reads.retryAfter(answer("7")));
        assertEquals(Duration.ofMinutes(1), Reads.retryAfter(answer("86400")));
        String inTenSeconds =
                DateTimeFormatter.RFC_1123_DATE_TIME.format(
                        ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
        Duration date = Reads.retryAfter(answer(inTenSeconds));
        assertTrue(
                date.compareTo(Duration.ofSeconds(8)) >= 0
                        && date.compareTo(Duration.ofSeconds(10)) <= 0,
                date.toString());
        String past =
                DateTimeFormatter.RFC_1123_DATE_TIME.format(
                        ZonedDateTime.now(ZoneOffset.UTC).minusHours(1));
        assertEquals(Duration.ZERO, Reads.retryAfter(answer(past)));
    }
}
