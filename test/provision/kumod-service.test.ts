/**
 * KUMOD_LOG as provisioning hands it to kumod. Setting it replaces kumod's whole default filter
 * (crates/kumod/src/main.rs `default_filter`), so by default kumolab leaves it unset.
 */
import { describe, expect, test } from "vitest";
import { launchSpec, pidFileScript, senderDropIn, sinkUnit } from "../../scripts/provision/kumod-service";

const policyPath = "/opt/kumomta/etc/policy/sink.lua";

describe("KUMOD_LOG", () => {
  test("unset by default: no Environment line in our unit or drop-in, and an unset variable for a pid-file kumod", () => {
    expect(sinkUnit({ policyPath, kumodLog: null })).not.toMatch(/KUMOD_LOG=/);
    expect(senderDropIn({ kumodLog: null })).not.toMatch(/^Environment=/m);
    expect(senderDropIn({ kumodLog: null })).toMatch(/^\[Service\]$/m);
    const script = pidFileScript({ role: "sink", policyPath, kumodLog: null, policyChanged: false });
    expect(script).toContain("env -u KUMOD_LOG setsid /opt/kumomta/sbin/kumod --policy /opt/kumomta/etc/policy/sink.lua --user kumod");
  });

  test("a filter from the lab config is passed as written", () => {
    expect(sinkUnit({ policyPath, kumodLog: "kumod=debug,lua=info" })).toMatch(/^Environment=KUMOD_LOG=kumod=debug,lua=info$/m);
    expect(senderDropIn({ kumodLog: "kumod=debug,lua=info" })).toMatch(/^Environment=KUMOD_LOG=kumod=debug,lua=info$/m);
    expect(pidFileScript({ role: "sink", policyPath, kumodLog: "kumod=debug", policyChanged: false })).toContain("KUMOD_LOG=kumod=debug setsid");
  });

  test("changing the filter (or unsetting it) changes the launch spec, so a pid-file kumod is restarted", () => {
    const specs = new Set([null, "kumod=info", "kumod=debug"].map((kumodLog) => launchSpec({ policyPath, kumodLog })));
    expect(specs.size).toBe(3);
  });
});
