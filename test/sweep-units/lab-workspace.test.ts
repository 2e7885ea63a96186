/**
 * Each parallel lab's own Pulumi workspace: its project file leads Pulumi back to the one program
 * and the one folder of stack config files, and two labs opened at once never share a workspace
 * (pulumi/pulumi#8186: `stack select`/`init` rewrite the workspace's workspace.json). The
 * Automation API is replaced by a recorder: no Pulumi CLI here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import YAML from "yaml";

const calls: Array<{ args: { stackName: string; workDir: string }; env: Record<string, string> }> = [];
vi.mock("@pulumi/pulumi/automation", () => ({
  LocalWorkspace: {
    createOrSelectStack: async (args: { stackName: string; workDir: string }, opts: { envVars: Record<string, string> }) => {
      calls.push({ args, env: opts.envVars });
      return { name: args.stackName };
    },
  },
}));
vi.mock("../../scripts/cloud/pulumi-cli", () => ({ pulumiCommand: async () => ({ command: "pulumi" }) }));

import { PROJECT_DIR } from "../../lab-config/load";
import { openStack } from "../../scripts/lab-drivers/pulumi-lab-driver";
import { ensureLabWorkspace, LAB_WORKSPACES_DIR } from "../../scripts/lab-drivers/lab-workspace";

const project = mkdtempSync(path.join(os.tmpdir(), "kumolab-ws-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("a lab's own workspace", () => {
  test("its Pulumi.yaml names the same project and runtime, the program in <project>/infra and stack config files in <project>", () => {
    writeFileSync(path.join(project, "Pulumi.yaml"), readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
    const dir = ensureLabWorkspace("dev-lab2", project);
    expect(dir).toBe(path.join(project, LAB_WORKSPACES_DIR, "dev-lab2"));
    const file = YAML.parse(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    expect(file["name"]).toBe("kumolab");
    expect(file["runtime"]).toEqual({ name: "nodejs", options: { packagemanager: "npm" } });
    // Pulumi joins both to the project file's folder (sdk/go/common/workspace/paths.go).
    expect(path.join(dir, file["main"] as string)).toBe(path.join(project, "infra") + path.sep);
    expect(path.join(dir, file["stackConfigDir"] as string)).toBe(project);
  });

  test("two labs opened at once: each in its own workspace, the program told where the project's tsconfig is; one lab stays in the project folder", async () => {
    process.env["PULUMI_CONFIG_PASSPHRASE"] ??= "test";
    calls.length = 0;
    const backend = `file://${path.join(project, "state")}`;
    await Promise.all(["dev-lab1", "dev-lab2"].map((s) => openStack(s, backend, { workDir: ensureLabWorkspace(s, project) })));
    await openStack("dev", backend);
    expect(calls.map((c) => [c.args.stackName, c.args.workDir])).toEqual([
      ["dev-lab1", path.join(project, LAB_WORKSPACES_DIR, "dev-lab1")],
      ["dev-lab2", path.join(project, LAB_WORKSPACES_DIR, "dev-lab2")],
      ["dev", PROJECT_DIR],
    ]);
    expect(calls[0]?.env).toEqual({ PULUMI_BACKEND_URL: backend, PULUMI_NODEJS_TSCONFIG_PATH: path.join(PROJECT_DIR, "tsconfig.json") });
    expect(calls[2]?.env).toEqual({ PULUMI_BACKEND_URL: backend });
  });
});
