/** The sink's image: Canonical's Ubuntu LTS (generation 2) on Azure for the configured release. */
import type { OsImage } from "../lab-config/schema";

export interface AzureImageReference {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
}

export function azureImageReference(os: OsImage): AzureImageReference {
  switch (os) {
    // Canonical's 24.04 offer is named differently from the earlier ones (one offer, sku `server` = gen2).
    case "ubuntu-24.04":
      return { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" };
    case "ubuntu-22.04":
      return { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" };
    case "ubuntu-20.04":
      return { publisher: "Canonical", offer: "0001-com-ubuntu-server-focal", sku: "20_04-lts-gen2", version: "latest" };
  }
}
