/**
 * The lab's birth record: when it was created and by whom, recorded once in Pulumi state.
 *
 * `expiresAt` must not move on every `pulumi up` (tags would churn and the lab would never
 * expire), so the creation time cannot be `Date.now()` in the program. A self-signed certificate
 * from the tls provider records its `validityStartTime` when it is created and keeps it in state
 * for as long as it is not replaced; it is never used for TLS. The creator goes in its subject,
 * with `ignoreChanges` so that a colleague running `pulumi up` later does not rewrite it.
 * The validity is long on purpose: the TTL is applied in the tags (a TTL change re-tags, it
 * does not restart the clock), and the certificate never becomes "ready for renewal".
 *
 * Why not `@pulumiverse/time`'s `Static`, the resource made for this: checked (issue 12), it serves
 * under the mocks, but it is a single 0.1.x release from a community org and its provider plugin is
 * one more download from GitHub at the first `pulumi up` (an offline or pinned machine fails there);
 * the tls provider is already a dependency of the lab (./ssh-keys.ts), so this record costs nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** Ten years: far beyond any lab's TTL (max 168 h), so the record is never renewed. */
export const LAB_CLOCK_VALIDITY_HOURS = 87_600;

export interface LabClockArgs {
  labId: string;
  createdBy: string;
  /** Signs the record; the lab's login key (any stable key works). */
  privateKeyPem: pulumi.Input<string>;
}

export class LabClock extends pulumi.ComponentResource {
  /** ISO 8601 time of the lab's first `pulumi up`. */
  readonly createdAt: pulumi.Output<string>;
  /** Who ran that first `pulumi up`. */
  readonly createdBy: pulumi.Output<string>;
  readonly record: tls.SelfSignedCert;

  constructor(name: string, args: LabClockArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kumolab:lab:Clock", name, {}, opts);
    this.record = new tls.SelfSignedCert(
      `${name}-record`,
      {
        privateKeyPem: args.privateKeyPem,
        allowedUses: ["digital_signature"],
        validityPeriodHours: LAB_CLOCK_VALIDITY_HOURS,
        earlyRenewalHours: 0,
        subject: { commonName: args.labId, organization: "kumolab", organizationalUnit: args.createdBy },
      },
      { parent: this, ignoreChanges: ["subject"] },
    );
    this.createdAt = this.record.validityStartTime;
    this.createdBy = this.record.subject.apply((s) => s?.organizationalUnit ?? args.createdBy);
    this.registerOutputs({});
  }
}
