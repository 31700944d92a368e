/**
 * Server metrics, rendered in the Prometheus text exposition format.
 *
 * @module
 */

/** A monotonically increasing count. */
export class Counter {
  /** The count so far. */
  value = 0;
  /** Creates a counter at 0, exported as `name` with `help` as its description. */
  constructor(readonly name: string, readonly help: string) {}
  /** Adds `n` (default 1). */
  inc(n = 1): void {
    this.value += n;
  }
  /** The counter's exposition text. */
  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n${this.name} ${this.value}\n`;
  }
}

/** A value that goes up and down. */
export class Gauge {
  /** The current value. */
  value = 0;
  /** Creates a gauge at 0, exported as `name` with `help` as its description. */
  constructor(readonly name: string, readonly help: string) {}
  /** Replaces the value. */
  set(v: number): void {
    this.value = v;
  }
  /** The gauge's exposition text. */
  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n${this.name} ${this.value}\n`;
  }
}

/** Observations counted into cumulative buckets. */
export class Histogram {
  readonly #counts: number[];
  /** Total of all observations. */
  sum = 0;
  /** Number of observations. */
  count = 0;
  /** Creates an empty histogram with the given upper bounds, ascending. */
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {
    this.#counts = buckets.map(() => 0);
  }
  /** Records one observation. */
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]) this.#counts[i]++;
    }
  }
  /** The histogram's exposition text. */
  render(): string {
    const lines = [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} histogram`,
    ];
    this.buckets.forEach((b, i) =>
      lines.push(`${this.name}_bucket{le="${b}"} ${this.#counts[i]}`)
    );
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    );
    return lines.join("\n") + "\n";
  }
}

/** Every metric the server exports. */
export class Metrics {
  /** Open WebSocket connections. */
  readonly connections = new Gauge(
    "chat_connections",
    "Open WebSocket connections",
  );
  /** Rooms that exist. */
  readonly rooms = new Gauge("chat_rooms", "Rooms that exist");
  /** Messages accepted from clients. */
  readonly messagesIn = new Counter(
    "chat_messages_in_total",
    "Messages accepted from clients",
  );
  /** Messages published to rooms. */
  readonly messagesOut = new Counter(
    "chat_messages_out_total",
    "Messages published to rooms",
  );
  /** Message frames sent to clients. */
  readonly deliveries = new Counter(
    "chat_deliveries_total",
    "Message frames sent to clients",
  );
  /** Clients closed for not keeping up. */
  readonly slowDropped = new Counter(
    "chat_slow_clients_dropped_total",
    "Clients closed with 1013 for not keeping up",
  );
  /** Error frames sent to clients. */
  readonly errors = new Counter(
    "chat_client_errors_total",
    "Error frames sent to clients",
  );
  /** Seconds from receiving a send to its durable ack. */
  readonly ackLatency = new Histogram(
    "chat_ack_latency_seconds",
    "Time from receiving a send to its ack (durable write)",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );

  /** The exposition text for `GET /metrics`. */
  render(): string {
    return [
      this.connections,
      this.rooms,
      this.messagesIn,
      this.messagesOut,
      this.deliveries,
      this.slowDropped,
      this.errors,
      this.ackLatency,
    ].map((m) => m.render()).join("");
  }
}
