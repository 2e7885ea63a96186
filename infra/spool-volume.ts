/**
 * The sender's spool volume: a separate EBS gp3 volume at the provisioned IOPS and throughput a
 * profile names (the published rounds: 100 GB at 7,200 IOPS and 225 MB/s), in the sender's zone.
 * The boot script (infra/cloud-init.ts, mount_spool) formats it and mounts it at kumod's spool path
 * before kumod starts; infra/aws-sender.ts attaches it. Deleted with the lab (`pulumi destroy`,
 * `npm run down`, `npm run gc` by its tags); an instance that powers itself off at expiresAt leaves it
 * behind until then, as it leaves the Elastic IP.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SpoolVolume } from "../lab-config/profiles";
import { awsTags, type Tags } from "./tags";

export interface SenderSpoolVolumeArgs {
  /** Size, IOPS and throughput, e.g. `{ sizeGiB: 100, iops: 7200, throughputMBps: 225 }` (lab-config `aws.spoolVolume`). */
  volume: SpoolVolume;
  /** The sender subnet's zone (a volume attaches only to an instance in its own zone), e.g. `us-west-2a`. */
  availabilityZone: pulumi.Input<string>;
  /** The lab's tags (infra/tags.ts); the volume's `Name` ends in `-sender-spool`. */
  tags: pulumi.Input<Tags>;
}

/** The attachment's device name: required by the API; on Nitro instances the volume shows as NVMe whatever it is. */
export const SPOOL_DEVICE_NAME = "/dev/sdf";

export class SenderSpoolVolume extends pulumi.ComponentResource {
  readonly volume: aws.ebs.Volume;

  constructor(name: string, args: SenderSpoolVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kumolab:aws:SpoolVolume", name, {}, opts);
    this.volume = new aws.ebs.Volume(
      `${name}-volume`,
      {
        availabilityZone: args.availabilityZone,
        type: "gp3",
        size: args.volume.sizeGiB,
        iops: args.volume.iops,
        throughput: args.volume.throughputMBps,
        encrypted: true,
        tags: pulumi.output(args.tags).apply((t) => awsTags(t, "sender-spool")),
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
