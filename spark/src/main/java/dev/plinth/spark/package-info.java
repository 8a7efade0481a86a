/**
 * Batch read + embed on Apache Spark: {@link dev.plinth.spark.Plinth} for Java users of the Dataset
 * API, {@link dev.plinth.spark.Batch} for the whole job, {@link dev.plinth.spark.BatchCommand} for
 * {@code plinth batch} and {@code spark-submit}.
 */
package dev.plinth.spark;
