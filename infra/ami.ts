/**
 * The sender's machine image: Canonical's Ubuntu AMI for the configured release and the size's
 * CPU architecture (x86_64 or arm64: the July 2023 sweep had a Graviton row).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CpuArch, OsImage } from "../lab-config/schema";

/** Canonical's AWS account: only its images match, never a look-alike from someone else. */
export const CANONICAL_OWNER_ID = "099720109477";

const UBUNTU_CODENAMES: Record<OsImage, { codename: string; version: string }> = {
  "ubuntu-24.04": { codename: "noble", version: "24.04" },
  "ubuntu-22.04": { codename: "jammy", version: "22.04" },
  "ubuntu-20.04": { codename: "focal", version: "20.04" },
};

/** getAmi arguments for `os` on `arch`. Canonical names images `…-amd64-…` / `…-arm64-…`. */
export function amiFilter(os: OsImage, arch: CpuArch): aws.ec2.GetAmiArgs {
  const { codename, version } = UBUNTU_CODENAMES[os];
  const debArch = arch === "x86_64" ? "amd64" : "arm64";
  return {
    owners: [CANONICAL_OWNER_ID],
    mostRecent: true,
    filters: [
      // hvm-ssd* matches both the older hvm-ssd and the newer hvm-ssd-gp3 image families.
      { name: "name", values: [`ubuntu/images/hvm-ssd*/ubuntu-${codename}-${version}-${debArch}-server-*`] },
      { name: "architecture", values: [arch] },
      { name: "virtualization-type", values: ["hvm"] },
      { name: "root-device-type", values: ["ebs"] },
    ],
  };
}

/** The AMI id; looked up through the lab's AWS provider (its region). */
export function lookupAmi(os: OsImage, arch: CpuArch, provider: aws.Provider): pulumi.Output<string> {
  return aws.ec2.getAmiOutput(amiFilter(os, arch), { provider }).id;
}
