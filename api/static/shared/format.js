/* Times, durations and rates as the staff pages show them. The server stores UTC and may omit the zone. */

function two(n) { return (n < 10 ? "0" : "") + n; }

export function parseTime(iso) {
  if (!iso) return null;
  let text = String(iso);
  if (/^\d{4}-\d\d-\d\d[T ]\d/.test(text) && !/[zZ]|[+-]\d\d:?\d\d$/.test(text)) text = text.replace(" ", "T") + "Z";
  const d = new Date(text);
  return isNaN(d.getTime()) ? null : d;
}

/** "2024-05-01 14:03" in the browser's time zone. */
export function dateTime(iso) {
  const d = parseTime(iso);
  if (!d) return iso ? String(iso) : "";
  return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
    two(d.getHours()) + ":" + two(d.getMinutes());
}

/** "14:03:09" in the browser's time zone. */
export function clock(iso) {
  const d = parseTime(iso);
  return d ? two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) : "";
}

/** "3分05秒" */
export function duration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return s + "秒";
  const m = Math.floor(s / 60);
  if (m < 60) return m + "分" + two(s % 60) + "秒";
  return Math.floor(m / 60) + "小时" + (m % 60) + "分";
}

/** 0.1234 -> "12.3%"; nothing -> "—". */
export function percent(rate) {
  if (rate === null || rate === undefined || rate === "") return "—";
  const n = Number(rate);
  return isNaN(n) ? "—" : (Math.round(n * 1000) / 10) + "%";
}
