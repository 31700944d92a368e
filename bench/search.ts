/**
 * Search latency on both storage backends: a fresh store (a Deno KV file,
 * then a PostgreSQL server started for the run) filled with 100,000
 * messages of mixed English and Korean text over 20 rooms, then queries of
 * several kinds over all the rooms (a reader who is a member of each) and
 * over one room, timed one at a time through `store.search.query`.
 *
 * Runs as `deno task bench -- --only=search`, or alone:
 * `deno run -A --unstable-kv bench/search.ts [--quick] [--messages=N]`.
 *
 * @module
 */
import { openKvStore } from "@/lib/server/store/kv.ts";
import { openPostgresStore } from "@/lib/server/store/postgres.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import { machineInfo } from "./proc_stats.ts";
import { eachFlag, parseOrExit, positiveInt } from "./cli_flags.ts";

/** Sizes of a run. */
export interface SearchPlan {
  /** Messages stored. */
  messages: number;
  /** Rooms they are spread over. */
  rooms: number;
  /** Queries timed per backend. */
  queries: number;
}

/** The full run and a smoke run. */
export const SEARCH_FULL: SearchPlan = {
  messages: 100_000,
  rooms: 20,
  queries: 400,
};
/** A smoke run: tiny sizes. */
export const SEARCH_QUICK: SearchPlan = {
  messages: 2_000,
  rooms: 5,
  queries: 60,
};

/** Latency figures in milliseconds. */
export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One backend's figures. */
export interface SearchBackendResult {
  backend: "kv" | "postgres";
  /** Seconds to store (and index) every message. */
  loadSeconds: number;
  /** Every query. */
  all: Latency;
  /** By kind of query. */
  byKind: Record<string, Latency & { hitsAvg: number }>;
}

/** What the bench reports. */
export interface SearchBenchResult {
  scenario: "search";
  plan: SearchPlan;
  loadAverage: string;
  backends: SearchBackendResult[];
}

/** p95 target from the issue, in milliseconds. */
export const SEARCH_P95_TARGET_MS = 100;

const ENGLISH = (
  "the a to and of in is it you that for on was with be have this are not " +
  "but at we they what so if about all there when up out just my can like " +
  "time know get would make go think see now people could them then than " +
  "look only come its over also back after use two how our work first well " +
  "way even new want because any these give day most us deploy release " +
  "server client build test review merge branch bug fix issue ticket meeting " +
  "lunch coffee friday monday weekend report design api database cache " +
  "queue latency memory disk network proxy login password account room " +
  "message search index token schema migration backup restore alert metric " +
  "dashboard graph chart invoice budget contract customer support feedback " +
  "roadmap sprint standup retro launch beta feature flag rollout rollback " +
  "incident outage postmortem oncall pager kubernetes docker postgres redis " +
  "nginx deno typescript preact island socket frame protocol ack replay gap " +
  "presence typing unread mention thread reaction upload image file pin " +
  "topic emoji keyboard mobile browser chromium firefox safari android ios"
).split(" ");

const KOREAN = (
  "안녕하세요 감사합니다 회의 점심 저녁 커피 금요일 월요일 주말 배포 " +
  "릴리스 서버 클라이언트 빌드 테스트 리뷰 병합 브랜치 버그 수정 이슈 " +
  "보고서 설계 데이터베이스 캐시 지연 메모리 디스크 네트워크 로그인 " +
  "비밀번호 계정 메시지 검색 색인 백업 복구 경보 지표 대시보드 예산 " +
  "계약 고객 지원 의견 일정 출시 기능 장애 원인 분석 당번 서울 부산 " +
  "제주 회사 사무실 집 오늘 내일 어제 지금 나중에 같이 먼저 다시 정말 " +
  "좋아요 괜찮아요 알겠습니다 확인했습니다 부탁드립니다 질문 답변 문서 " +
  "화면 버튼 모바일 브라우저 키보드 사진 파일 업로드 반응 스레드 고정"
).split(" ");

const PARTICLES = [
  "",
  "",
  "은",
  "는",
  "이",
  "가",
  "을",
  "를",
  "에서",
  "으로",
  "도",
];

/** A seeded generator (mulberry32), so every run stores the same text. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks skewed towards the start of `list` (common words first). */
function pick<T>(rnd: () => number, list: T[]): T {
  return list[Math.floor(list.length * rnd() ** 1.7)];
}

function sentence(rnd: () => number): string {
  const kind = rnd();
  const words: string[] = [];
  const english = (n: number) => {
    for (let i = 0; i < n; i++) words.push(pick(rnd, ENGLISH));
  };
  const korean = (n: number) => {
    for (let i = 0; i < n; i++) {
      words.push(pick(rnd, KOREAN) + PARTICLES[Math.floor(rnd() * 11)]);
    }
  };
  if (kind < 0.5) english(6 + Math.floor(rnd() * 12));
  else if (kind < 0.85) korean(3 + Math.floor(rnd() * 7));
  else {
    english(2 + Math.floor(rnd() * 5));
    korean(2 + Math.floor(rnd() * 4));
  }
  return words.join(" ");
}

/** The queries timed, by kind, drawn from the same vocabulary. */
function queries(rnd: () => number, n: number): { kind: string; q: string }[] {
  const rare = (list: string[]) =>
    list[list.length - 1 - Math.floor(rnd() * (list.length / 3))];
  const kinds: [string, () => string][] = [
    ["english common", () => ENGLISH[Math.floor(rnd() * 20)]],
    ["english rare", () => rare(ENGLISH)],
    ["english two words", () => `${pick(rnd, ENGLISH)} ${pick(rnd, ENGLISH)}`],
    ["korean word", () => pick(rnd, KOREAN)],
    ["korean two syllables", () => pick(rnd, KOREAN).slice(0, 2)],
    ["korean + english", () => `${pick(rnd, KOREAN)} ${pick(rnd, ENGLISH)}`],
    ["one room, english", () => pick(rnd, ENGLISH)],
  ];
  return Array.from({ length: n }, (_, i) => {
    const [kind, make] = kinds[i % kinds.length];
    return { kind, q: make() };
  });
}

function latency(xs: number[]): Latency {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) =>
    s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] : 0;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(s[s.length - 1] ?? 0),
  };
}

/** Stores the plan's messages in `store`; resolves to the seconds it took. */
export async function fill(
  store: Store,
  plan: SearchPlan,
): Promise<number> {
  const rnd = random(42);
  const started = performance.now();
  const rooms = Array.from({ length: plan.rooms }, (_, i) => `room${i}`);
  for (const room of rooms) await store.createRoom(room);
  const chunk = 400;
  for (let i = 0; i < plan.messages; i += chunk) {
    const n = Math.min(chunk, plan.messages - i);
    await Promise.all(Array.from({ length: n }, (_, j) =>
      store.append({
        room: rooms[(i + j) % rooms.length],
        user: `user${(i + j) % 97}`,
        text: sentence(rnd),
      })));
  }
  const search = store.search as { idle?: () => Promise<void> };
  await search.idle?.();
  return (performance.now() - started) / 1000;
}

/** Times the plan's queries against a filled store. */
export async function measure(
  store: Store,
  plan: SearchPlan,
): Promise<Omit<SearchBackendResult, "backend" | "loadSeconds">> {
  const rooms = Array.from({ length: plan.rooms }, (_, i) => `room${i}`);
  const qs = queries(random(7), plan.queries);
  // Warm-up: the first queries pay for cold caches and compiled code.
  for (const { q } of qs.slice(0, 10)) {
    await store.search.query({ rooms, query: q, limit: 20 });
  }
  const all: number[] = [];
  const byKind = new Map<string, { ms: number[]; hits: number }>();
  for (const [i, { kind, q }] of qs.entries()) {
    const t = performance.now();
    const page = await store.search.query({
      rooms: kind.startsWith("one room") ? [rooms[i % rooms.length]] : rooms,
      query: q,
      limit: 20,
    });
    const ms = performance.now() - t;
    all.push(ms);
    const k = byKind.get(kind) ?? { ms: [], hits: 0 };
    k.ms.push(ms);
    k.hits += page.hits.length;
    byKind.set(kind, k);
  }
  return {
    all: latency(all),
    byKind: Object.fromEntries(
      [...byKind].map((
        [kind, k],
      ) => [kind, {
        ...latency(k.ms),
        hitsAvg: Math.round(k.hits / k.ms.length * 10) / 10,
      }]),
    ),
  };
}

/** Runs the search bench on both backends. */
export async function searchBench(
  plan: SearchPlan,
): Promise<SearchBenchResult> {
  const backends: SearchBackendResult[] = [];
  const dir = await Deno.makeTempDir({ prefix: "chat-bench-search-" });
  try {
    const kv = await openKvStore({
      path: `${dir}/chat.kv`,
      historyLimit: plan.messages,
    });
    try {
      console.error(`bench: search: storing ${plan.messages} messages in KV…`);
      const loadSeconds = await fill(kv, plan);
      backends.push({ backend: "kv", loadSeconds, ...await measure(kv, plan) });
    } finally {
      await kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await using pg = await startPostgres();
  const pgStore = await openPostgresStore({
    url: await pg.createDatabase("search_bench"),
    poolSize: 4,
    historyLimit: plan.messages,
  });
  try {
    console.error(
      `bench: search: storing ${plan.messages} messages in PostgreSQL…`,
    );
    const loadSeconds = await fill(pgStore, plan);
    await pgStore.sql`ANALYZE`;
    backends.push({
      backend: "postgres",
      loadSeconds,
      ...await measure(pgStore, plan),
    });
  } finally {
    await pgStore.close();
  }
  return {
    scenario: "search",
    plan,
    loadAverage: machineInfo().loadAverage,
    backends,
  };
}

/** The result as a Markdown section. */
export function renderSearch(r: SearchBenchResult): string {
  const lines = [
    `## Search (${r.plan.messages} messages, ${r.plan.rooms} rooms, ${r.plan.queries} queries per backend)`,
    "",
    `Target: p95 under ${SEARCH_P95_TARGET_MS} ms. Load average at the end: ${r.loadAverage}.`,
    "",
    "| backend | query | p50 ms | p95 ms | p99 ms | max ms | hits (avg) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const b of r.backends) {
    lines.push(
      `| ${b.backend} | **all** | ${b.all.p50} | ${b.all.p95} | ${b.all.p99} | ${b.all.max} | |`,
    );
    for (const [kind, l] of Object.entries(b.byKind)) {
      lines.push(
        `| ${b.backend} | ${kind} | ${l.p50} | ${l.p95} | ${l.p99} | ${l.max} | ${l.hitsAvg} |`,
      );
    }
  }
  lines.push("");
  for (const b of r.backends) {
    lines.push(
      `- ${b.backend}: stored and indexed in ${b.loadSeconds.toFixed(1)} s.`,
    );
  }
  return lines.join("\n") + "\n";
}

/** What `deno run -A --unstable-kv bench/search.ts --help` prints. */
export const SEARCH_USAGE = `
Usage: deno run -A --unstable-kv bench/search.ts [<flags>]
(or deno task bench -- --only=search)

Fills a Deno KV store and a PostgreSQL server started for the run with
messages and times queries on each.

  --quick           a small store: a smoke run
  --messages=<n>    messages stored (default ${SEARCH_FULL.messages})
  --help            this text
`;

/** Reads the command line into a plan; an argument it does not take throws a `UsageError`. */
export function parseSearchArgs(args: string[]): SearchPlan {
  let quick = false;
  let messages: number | undefined;
  eachFlag(args, (flag, value) => {
    if (flag === "--quick" && value === "") quick = true;
    // Another size, e.g. to try a change at a fraction.
    else if (flag === "--messages" && positiveInt(value)) {
      messages = positiveInt(value);
    } else return false;
    return true;
  });
  const plan = { ...(quick ? SEARCH_QUICK : SEARCH_FULL) };
  if (messages !== undefined) plan.messages = messages;
  return plan;
}

if (import.meta.main) {
  const plan = parseOrExit(
    "bench/search.ts",
    Deno.args,
    SEARCH_USAGE,
    parseSearchArgs,
  );
  const result = await searchBench(plan);
  console.log(JSON.stringify(result));
  console.error(renderSearch(result));
}
