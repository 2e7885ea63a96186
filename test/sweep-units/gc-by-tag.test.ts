/** `npm run gc` by the clouds' tags (a fake cloud inventory), and the locks it respects. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { formatCloudLab, groupLabs, manualRemoval } from "../../scripts/cloud/cloud-inventory";
import type { BackendStacks } from "../../scripts/cloud/expired-labs";
import { runGc, type GcDeps } from "../../scripts/cloud/gc-run";
import { fileBackendDir, judgeLocks, readStackLocks, stackLockVerdict, type LockVerdict } from "../../scripts/cloud/stack-locks";
import type { TeardownOutcome } from "../../scripts/lab-drivers/lab-driver";
import { awsResource, azureResource, FakeCloud } from "./fake-cloud";
import { labOutputs, outputMap } from "./lab-outputs";

const NOW = new Date("2026-03-01T18:00:00.000Z");
const times = (createdAt: string, expiresAt: string) => ({ createdAt, expiresAt, createdBy: "ana" });
const EXPIRED = times("2026-03-01T10:00:00.000Z", "2026-03-01T14:00:00.000Z");
const FRESH = times("2026-03-01T17:00:00.000Z", "2026-03-01T21:00:00.000Z");

function lab(labId: string, t: Record<string, string>) {
  return [
    awsResource(labId, "instance", `i-${labId}`, t),
    awsResource(labId, "security-group", `sg-${labId}`, t),
    azureResource(labId, "Microsoft.Resources/resourceGroups", `${labId}-rg`, t),
    azureResource(labId, "Microsoft.Compute/virtualMachines", "sink-vm", t),
  ];
}

function harness(o: { cloud: FakeCloud; stacks?: BackendStacks; locks?: Record<string, LockVerdict>; answer?: boolean; destroy?: TeardownOutcome }) {
  const out: string[] = [];
  const destroyed: string[] = [];
  const questions: string[] = [];
  const deps: GcDeps = {
    stacks: o.stacks,
    inventory: o.cloud,
    lockVerdict: (s) => o.locks?.[s] ?? { state: "none" },
    destroyStack: async (s) => {
      destroyed.push(s);
      o.cloud.resources = o.cloud.resources.filter((r) => r.tags["labId"] !== `kumolab-${s}`);
      return o.destroy ?? { ok: true, detail: `stack ${s} destroyed` };
    },
    confirm: async (q) => {
      questions.push(q);
      return o.answer ?? true;
    },
    out: (l) => void out.push(l),
    err: (l) => void out.push(l),
    project: "kumolab",
    now: NOW,
  };
  return { deps, out, destroyed, questions };
}

describe("gc by tag, with no local state", () => {
  test("lists every lab the clouds show (grouped, age, expiry), asks, deletes the expired one by tag and leaves the fresh one", async () => {
    const cloud = new FakeCloud([...lab("kumolab-old", EXPIRED), ...lab("kumolab-new", FRESH)]);
    const h = harness({ cloud });
    const r = await runGc(h.deps, { delete: true });
    const text = h.out.join("\n");
    expect(text).toContain("no local state backend");
    expect(text).toContain("kumolab-old  2 AWS + 2 Azure resources  age 8.0 h  EXPIRED 2026-03-01T14:00:00.000Z (4.0 h ago)  by ana");
    expect(text).toContain("kumolab-new  2 AWS + 2 Azure resources  age 1.0 h  expires 2026-03-01T21:00:00.000Z (in 3.0 h)");
    expect(h.questions).toHaveLength(1);
    expect(h.questions[0]).toContain("kumolab-old (no local stack: deleted by tag), 4 tagged resources");
    expect(h.questions[0]).not.toContain("kumolab-new");
    expect(cloud.removeCalls).toHaveLength(1);
    expect(cloud.removeCalls[0]).toHaveLength(4);
    expect(cloud.resources.every((x) => x.tags["labId"] === "kumolab-new")).toBe(true);
    expect(r.deleted).toEqual(["kumolab-old"]);
    expect(h.destroyed).toEqual([]);
  });

  test("answering no deletes nothing; list mode never asks", async () => {
    const cloud = new FakeCloud(lab("kumolab-old", EXPIRED));
    const no = harness({ cloud, answer: false });
    await runGc(no.deps, { delete: true });
    expect(cloud.removeCalls).toEqual([]);
    const list = harness({ cloud });
    const r = await runGc(list.deps, { delete: false });
    expect(list.questions).toEqual([]);
    expect(r.labs.map((l) => l.labId)).toEqual(["kumolab-old"]);
  });

  test("what the cloud refuses to delete is listed with its id and the exact command", async () => {
    const rs = lab("kumolab-old", EXPIRED);
    const stuck = rs[1];
    if (!stuck) throw new Error("fixture");
    const cloud = new FakeCloud(rs, { undeletable: [stuck.id] });
    const h = harness({ cloud });
    const r = await runGc(h.deps, { delete: true });
    expect(r.failed).toEqual(["kumolab-old"]);
    expect(h.out.join("\n")).toContain("aws ec2 delete-security-group --region us-west-2 --group-id sg-kumolab-old");
  });
});

describe("gc with a local stack, and locks", () => {
  const stacks = (names: string[]): BackendStacks => ({
    listStacks: async () => names.map((name) => ({ name, resourceCount: 20 })),
    stackOutputs: async (name) => outputMap(labOutputs("c2-r4", { labId: `kumolab-${name}`, expiresAt: EXPIRED.expiresAt })),
  });

  test("an expired lab with a stack here is destroyed through the stack; orphans tagged outside its state are then deleted by tag", async () => {
    const orphan = awsResource("kumolab-dev", "instance", "i-orphan", EXPIRED);
    const cloud = new FakeCloud([...lab("kumolab-dev", EXPIRED)]);
    const h = harness({ cloud, stacks: stacks(["dev"]) });
    h.deps.destroyStack = async (s) => {
      h.destroyed.push(s);
      cloud.resources = [orphan];
      return { ok: true, detail: `stack ${s} destroyed` };
    };
    const r = await runGc(h.deps, { delete: true });
    expect(h.destroyed).toEqual(["dev"]);
    expect(cloud.removeCalls).toEqual([[orphan.id]]);
    expect(r.deleted).toEqual(["kumolab-dev"]);
  });

  test("a locked, live stack is skipped and named; a stale lock does not stop gc", async () => {
    const cloud = new FakeCloud([...lab("kumolab-busy", EXPIRED), ...lab("kumolab-dead", EXPIRED)]);
    const h = harness({
      cloud,
      stacks: stacks(["busy", "dead"]),
      locks: { busy: { state: "live", why: "locked by pid 4242 of ana on laptop since 2026-03-01T17:30:00Z (still running on this host)" }, dead: { state: "stale", why: "stale lock(s): pid 7 … that process is gone" } },
    });
    const r = await runGc(h.deps, { delete: true });
    expect(h.destroyed).toEqual(["dead"]);
    expect(r.skipped).toEqual([{ labId: "kumolab-busy", stack: "busy", why: expect.stringContaining("pid 4242") as unknown as string }]);
    expect(h.out.join("\n")).toContain("skipped stack busy (lab kumolab-busy): locked by pid 4242");
    expect(cloud.resources.some((x) => x.tags["labId"] === "kumolab-busy")).toBe(true);
    expect(h.questions[0]).not.toContain("kumolab-busy");
  });
});

describe("Pulumi's file-backend locks", () => {
  const root = mkdtempSync(path.join(tmpdir(), "kumolab-locks-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const lockDir = path.join(root, ".pulumi", "locks", "organization", "kumolab", "dev");
  mkdirSync(lockDir, { recursive: true });
  writeFileSync(path.join(lockDir, "6f2c.json"), JSON.stringify({ pid: 4242, username: "ana", hostname: "laptop", timestamp: "2026-03-01T17:30:00.000000001Z" }));

  test("read from .pulumi/locks/<org>/<project>/<stack>/<id>.json", () => {
    const locks = readStackLocks(root, "kumolab", "dev");
    expect(locks).toEqual([{ file: path.join(lockDir, "6f2c.json"), pid: 4242, username: "ana", hostname: "laptop", timestamp: "2026-03-01T17:30:00.000000001Z" }]);
    expect(readStackLocks(root, "kumolab", "other")).toEqual([]);
    expect(stackLockVerdict(`file://${root}`, "kumolab", "other").state).toBe("none");
    expect(fileBackendDir(`file://${root}`)).toBe(root);
  });

  test("live: its process runs on this host, or another host's lock younger than the bound; stale: process gone, or too old", () => {
    const locks = readStackLocks(root, "kumolab", "dev");
    const here = (alive: boolean, now = NOW) => judgeLocks(locks, { hostname: "laptop", now, isAlive: () => alive });
    expect(here(true)).toMatchObject({ state: "live", why: expect.stringContaining("pid 4242 of ana on laptop") as unknown as string });
    expect(here(false)).toMatchObject({ state: "stale", why: expect.stringContaining("that process is gone") as unknown as string });
    expect(judgeLocks(locks, { hostname: "ci-runner", now: NOW, isAlive: () => false }).state).toBe("live");
    expect(here(true, new Date("2026-03-01T21:00:00Z")).state).toBe("stale");
    expect(stackLockVerdict("s3://bucket", "kumolab", "dev").state).toBe("unknown");
  });
});

describe("cloud inventory helpers", () => {
  test("groupLabs keeps the newest expiresAt (a TTL extension) and ignores resources not managed by kumolab", () => {
    const a = awsResource("kumolab-x", "instance", "i-1", { ...EXPIRED });
    const b = azureResource("kumolab-x", "Microsoft.Compute/virtualMachines", "vm", { ...EXPIRED, expiresAt: "2026-03-01T20:00:00.000Z" });
    const foreign = { ...awsResource("kumolab-x", "instance", "i-2"), tags: { labId: "kumolab-x" } };
    const [g] = groupLabs([a, b, foreign], NOW);
    expect(g?.expiresAt).toBe("2026-03-01T20:00:00.000Z");
    expect(g?.expired).toBe(false);
    expect(g?.resources).toHaveLength(2);
    if (!g) throw new Error("no lab grouped");
    expect(formatCloudLab({ ...g, expiresAt: undefined, expired: false }, NOW)).toContain("no expiresAt tag");
    expect(manualRemoval(b)).toBe(`az resource delete --ids ${b.id}`);
  });
});

describe("gc and a parallel sweep's labs", () => {
  test("every lab of a --parallel run is its own stack and labId (kumolab-dev-lab1, -lab2): each found by tag and destroyed through its stack; a lab still locked by the sweep is left alone", async () => {
    const cloud = new FakeCloud([...lab("kumolab-dev-lab1", EXPIRED), ...lab("kumolab-dev-lab2", EXPIRED), ...lab("kumolab-dev-lab3", EXPIRED)]);
    const h = harness({
      cloud,
      stacks: {
        listStacks: async () => ["dev-lab1", "dev-lab2", "dev-lab3"].map((name) => ({ name, resourceCount: 20 })),
        stackOutputs: async (name) => outputMap(labOutputs("c2-r4", { labId: `kumolab-${name}`, expiresAt: EXPIRED.expiresAt })),
      },
      locks: { "dev-lab3": { state: "live", why: "locked by pid 4242 of ana on this host since 2026-03-01T17:59:00Z (still running on this host)" } },
    });
    const r = await runGc(h.deps, { delete: true });
    expect(h.destroyed.sort()).toEqual(["dev-lab1", "dev-lab2"]);
    expect(r.deleted.sort()).toEqual(["kumolab-dev-lab1", "kumolab-dev-lab2"]);
    expect(r.skipped.map((s) => s.stack)).toEqual(["dev-lab3"]);
    expect(cloud.resources.every((x) => x.tags["labId"] === "kumolab-dev-lab3")).toBe(true);
  });
});
