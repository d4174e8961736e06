import { useEffect, useState } from "react";

/** The current time, refreshed every `intervalMs` while `running`; for elapsed-time displays only. */
export function useNow(running: boolean, intervalMs = 100): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [running, intervalMs]);
  return now;
}
