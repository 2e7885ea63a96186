/**
 * Azure VM sizes the lab knows, with their vCPU and memory. Used to refuse a sink under
 * 8 vCPUs (config validation and the CrossGuard policy pack). A size missing here is refused
 * rather than guessed: add its row (from Azure's size documentation) to use it.
 */
export interface AzureVmSize {
  vcpu: number;
  ramGiB: number;
}

export const AZURE_VM_SIZES: Readonly<Record<string, AzureVmSize>> = {
  Standard_F2s_v2: { vcpu: 2, ramGiB: 4 },
  Standard_F4s_v2: { vcpu: 4, ramGiB: 8 },
  Standard_F8s_v2: { vcpu: 8, ramGiB: 16 },
  Standard_F16s_v2: { vcpu: 16, ramGiB: 32 },
  Standard_F32s_v2: { vcpu: 32, ramGiB: 64 },
  Standard_D2s_v5: { vcpu: 2, ramGiB: 8 },
  Standard_D4s_v5: { vcpu: 4, ramGiB: 16 },
  Standard_D8s_v5: { vcpu: 8, ramGiB: 32 },
  Standard_D16s_v5: { vcpu: 16, ramGiB: 64 },
  Standard_D8as_v5: { vcpu: 8, ramGiB: 32 },
  Standard_D16as_v5: { vcpu: 16, ramGiB: 64 },
  Standard_F8as_v6: { vcpu: 8, ramGiB: 32 },
  Standard_F16as_v6: { vcpu: 16, ramGiB: 64 },
};

/** The sink must be at least this big: the published figures used an 8-vCPU sink. */
export const MIN_SINK_VCPU = 8;
