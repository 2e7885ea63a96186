/** The program's entry point (infra/index.ts) as `pulumi up` runs it, under mocks. */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, expect, test } from "vitest";
import entry from "../../infra/index";
import { LabConfigError } from "../../lab-config/resolve";
import { stackOutputsSchema } from "../../lab-config/stack-outputs";
import { installMocks } from "./lab-mocks";

afterEach(() => pulumi.runtime.setAllConfig({}));

test("a bad config stops the program before any resource is registered", async () => {
  const mocks = await installMocks();
  pulumi.runtime.setAllConfig({ "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:sink.smtpPort": "25" });
  await expect(entry()).rejects.toBeInstanceOf(LabConfigError);
  expect(mocks.resources).toEqual([]);
});

test("a valid stack config builds the lab and returns outputs that satisfy the contract", async () => {
  const mocks = await installMocks("dev");
  pulumi.runtime.setAllConfig({ "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:sender.size": "c8-r32" });
  const outputs = await new Promise((resolve) => pulumi.output(entry()).apply(resolve));
  const parsed = stackOutputsSchema.parse(outputs);
  expect(parsed.labId).toBe("kumolab-dev");
  expect(parsed.sender.size).toBe("m5.2xlarge");
  expect(mocks.one("aws:ec2/securityGroup:SecurityGroup").inputs["ingress"]).toEqual([expect.objectContaining({ cidrBlocks: ["198.18.0.7/32"] })]);
});

test("operatorCidr 'auto' never stored: the program refuses (it never looks the address up at preview/up) and says how to store it", async () => {
  const mocks = await installMocks("dev");
  pulumi.runtime.setAllConfig({});
  await expect(entry()).rejects.toThrow(/operatorCidr is 'auto' in stack dev and no address is stored yet.*pulumi config set kumolab:operatorCidr .*--stack dev/);
  expect(mocks.resources).toEqual([]);
});
