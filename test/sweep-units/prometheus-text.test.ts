/**
 * Reading kumod's /metrics line by line, against the Prometheus text exposition format
 * (prometheus.io/docs/instrumenting/exposition_formats: `name{label="value",…} value [timestamp]`,
 * values as Go's ParseFloat plus +Inf/-Inf/NaN, timestamps as integer milliseconds, `\"` `\\` `\n`
 * escapes in label values).
 */
import { describe, expect, test } from "vitest";
import { MetricsParseError, parsePrometheusText, perLabelSum } from "../../scripts/trial/prometheus";

const AT = new Date("2026-03-01T12:00:00Z");
const parse = (text: string) => parsePrometheusText(text, AT).series;
const error = (text: string): string => {
  try {
    parsePrometheusText(text, AT);
  } catch (e) {
    if (e instanceof MetricsParseError) return e.message;
    throw e;
  }
  return "parsed";
};

describe("sample values", () => {
  test.each([
    ["1e3", 1000],
    ["-2.5", -2.5],
    [".5", 0.5],
    ["+3", 3],
    ["7.", 7],
    ["1.5e-3", 0.0015],
    ["1E+2", 100],
    ["10", 10],
  ])("%s → %d", (text, value) => {
    expect(parse(`m ${text}`)).toEqual({ m: value });
  });

  test.each(["0x1f", "1e", "abc", "1.2.3", "e5", "x1", "1x", "--1", "1e+", ".e1", "."])("%s is not a value", (text) => {
    expect(error(`m ${text}`)).toBe(`bad value in "m ${text}"`);
  });

  test("+Inf, -Inf and NaN are samples, not kept (no JSON form)", () => {
    expect(parse("a +Inf\nb -Inf\nc NaN\nd 1")).toEqual({ d: 1 });
    expect(parse("b -Inf")).toEqual({});
  });

  test("an integer timestamp may follow; anything else may not", () => {
    expect(parse("m 5 1700000000000")).toEqual({ m: 5 });
    expect(parse("m 5 -17")).toEqual({ m: 5 });
    expect(error("m 5 12.5")).toBe('not a Prometheus sample line: "m 5 12.5"');
    expect(error("m 5 17x")).toBe('not a Prometheus sample line: "m 5 17x"');
    expect(error("m 5 x17")).toBe('not a Prometheus sample line: "m 5 x17"');
    expect(error("m 5 1 2")).toBe('not a Prometheus sample line: "m 5 1 2"');
    expect(error("m5")).toBe('not a Prometheus sample line: "m5"');
  });
});

describe("lines", () => {
  test("blank lines, comments and surrounding whitespace are skipped", () => {
    expect(parse("# HELP m help\n# TYPE m counter\n\n   m  5   \n")).toEqual({ m: 5 });
  });

  test("a line that does not start with a name is named in the error, cut at 120 characters", () => {
    expect(error("5 m")).toBe('not a Prometheus sample line: "5 m"');
    expect(error(`{x="y"} ${"9".repeat(200)}`)).toBe(`not a Prometheus sample line: "{x=\\"y\\"} ${"9".repeat(112)}"`);
  });

  test("no sample at all is an error", () => {
    expect(error("# HELP m help\n\n")).toBe("the metrics endpoint answered with no samples");
  });
});

describe("labels", () => {
  test("escapes in values: \\\" \\\\ \\n read, and written back the same way in the series key; an unknown escape keeps its letter", () => {
    expect(parse('m{a="x\\"y",b="p\\\\q",c="l1\\nl2",d="\\t"} 1')).toEqual({ 'm{a="x\\"y",b="p\\\\q",c="l1\\nl2",d="t"}': 1 });
  });

  test.each([
    ['m{1x="a"} 1', "a label name"],
    ["m{a} 1", '="…" after label a'],
    ["m{a=x} 1", '="…" after label a'],
    ['m{a"x"} 1', '="…" after label a'],
    ['m{a="x} 1', "the closing quote of label a"],
    ['m{a="x",a="y"} 1', "label a only once"],
  ])("%s: expected %s", (line, expected) => {
    expect(error(line)).toBe(`malformed labels (expected ${expected}) in ${JSON.stringify(line)}`);
  });

  test("999 labels are read; a thousand are refused", () => {
    const labels = (n: number) => Array.from({ length: n }, (_, i) => `l${i}="v"`).join(",");
    expect(Object.keys(parse(`m{${labels(999)}} 1`))).toHaveLength(1);
    expect(error(`m{${labels(1000)}} 1`)).toMatch(/^malformed labels \(expected fewer labels\)/);
  });
});

describe("perLabelSum", () => {
  const snapshot = (text: string) => parsePrometheusText(text, AT);

  test("sums the family's per-queue series, ignoring other families", () => {
    expect(perLabelSum(snapshot('d{queue="a"} 2\nd{queue="b"} 3\nother{queue="a"} 100\nd_total 7'), { name: "d", perSeriesLabel: "queue" })).toBe(5);
  });

  test("a total series or another label would be counted twice: refused", () => {
    expect(() => perLabelSum(snapshot('d 5\nd{queue="a"} 2'), { name: "d", perSeriesLabel: "queue" })).toThrow("d has an unlabelled series: summing it per queue would double-count");
    expect(() => perLabelSum(snapshot('d{service="x"} 2'), { name: "d", perSeriesLabel: "queue" })).toThrow(/: expected only the label queue; summing would double-count$/);
    expect(() => perLabelSum(snapshot('d{queue="a",service="x"} 2'), { name: "d", perSeriesLabel: "queue" })).toThrow(/expected only the label queue/);
  });
});
