import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

/** Props of {@link TypeProbe}. */
export interface TypeProbeProps {
  date: Date;
  url: URL;
  map: Map<string, number>;
  set: Set<string>;
}

/** Reports, once hydrated, the types its props arrived with. */
export default function TypeProbe({ date, url, map, set }: TypeProbeProps) {
  const report = useSignal("pending");
  useEffect(() => {
    report.value = JSON.stringify({
      date: date instanceof Date && date.toISOString(),
      url: url instanceof URL && url.pathname,
      map: map instanceof Map && map.get("b"),
      set: set instanceof Set && set.has("y"),
    });
  }, []);
  return <pre id="probe">{report}</pre>;
}
