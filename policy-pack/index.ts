/**
 * kumolab's CrossGuard policy pack: `pulumi preview --policy-pack policy-pack` (or `up`) fails
 * when a firewall would let SMTP out, SSH is open to the world, or the sink is under 8 vCPUs.
 * The only place a PolicyPack is constructed (doing so starts the policy server).
 */
import { PolicyPack } from "@pulumi/policy";
import { KUMOLAB_POLICIES } from "./policies";

new PolicyPack("kumolab", { policies: KUMOLAB_POLICIES, enforcementLevel: "mandatory" });
