/** run.json names the lab profile; a resume under another profile is refused like any other changed setting. */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { resolveStackConfig } from "../../infra/config";
import { configForRun, runSettingsOf, settingsDifferences } from "../../scripts/sweep/run-settings";
import type { RunManifest } from "../../scripts/results/run-manifest";

const DEFAULTS = path.resolve(__dirname, "../../lab-config/lab.yaml");
const cfgOf = (profile?: string) => resolveStackConfig({ "kumolab:operatorCidr": "198.18.0.7/32", ...(profile ? { "kumolab:profile": profile } : {}) }, "test", DEFAULTS).config;
const traffic = { concurrency: 20000, messageCount: 100000, bodySizeBytes: 100000, durationCapSeconds: 2000, extraArgs: [] };

describe("resume and profiles", () => {
  test("a run started under kumomta-2025, resumed with today's minimal config: the profile is named as the difference", () => {
    const started = cfgOf("kumomta-2025");
    const manifest = { traffic, profile: "kumomta-2025", settings: runSettingsOf(started) } as unknown as RunManifest;
    const today = cfgOf();
    expect(settingsDifferences(configForRun(today, manifest), today, ["published"])).toEqual(['profile: "kumomta-2025" in run.json, "minimal" in today\'s config']);
    expect(settingsDifferences(configForRun(cfgOf("kumomta-2025"), manifest), cfgOf("kumomta-2025"), ["published"])).toEqual([]);
  });

  test("a run.json from before profiles resumes under today's profile without a difference", () => {
    const today = cfgOf();
    const manifest = { traffic, settings: runSettingsOf(today) } as unknown as RunManifest;
    expect(settingsDifferences(configForRun(today, manifest), today, ["published"])).toEqual([]);
  });
});
