package dev.plinth.models;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How a sequence's token states become one vector. */
public enum PoolingMode {
    /** The first token's state ({@code [CLS]}). */
    @JsonProperty("cls")
    CLS,
    /** The mean over all real tokens. */
    @JsonProperty("mean")
    MEAN,
    /** The last real token's state. */
    @JsonProperty("last")
    LAST,
    /** None: the model's output is one vector per input already (rank 2). */
    @JsonProperty("none")
    NONE
}
