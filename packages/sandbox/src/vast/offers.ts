/** A few realistic offers in the shape of `POST /api/v0/bundles/` (fields as in the OpenAPI copy). */
const GPUS = [
  {
    gpu_name: 'RTX 4090',
    gpu_ram: 24564,
    dph: 0.39,
    dlperf: 74.1,
    geo: 'Texas, US',
  },
  {
    gpu_name: 'RTX 3090',
    gpu_ram: 24576,
    dph: 0.22,
    dlperf: 37.5,
    geo: 'Quebec, CA',
  },
  {
    gpu_name: 'A100 SXM4',
    gpu_ram: 81920,
    dph: 1.29,
    dlperf: 121.2,
    geo: 'Oregon, US',
  },
  {
    gpu_name: 'H100 SXM',
    gpu_ram: 81559,
    dph: 2.35,
    dlperf: 238.9,
    geo: 'Utah, US',
  },
  {
    gpu_name: 'RTX A6000',
    gpu_ram: 49140,
    dph: 0.47,
    dlperf: 45.3,
    geo: 'Bavaria, DE',
  },
];

export function makeOffers(limit = 5): Array<Record<string, unknown>> {
  return GPUS.slice(0, Math.max(0, Math.min(limit, GPUS.length))).map(
    (g, i) => {
      const id = 18_000_000 + i * 7919;
      const numGpus = i % 2 === 0 ? 1 : 2;
      const dphTotal = +(g.dph * numGpus + 0.012).toFixed(6);
      return {
        id,
        ask_contract_id: id,
        bundle_id: 900_000_000 + i,
        bundled_results: null,
        bw_nvlink: 0,
        compute_cap: 890,
        cpu_arch: 'amd64',
        cpu_cores: 32,
        cpu_cores_effective: 16,
        cpu_ghz: 3.1,
        cpu_name: 'AMD EPYC 7543 32-Core Processor',
        cpu_ram: 128_000,
        cuda_max_good: 12.4,
        direct_port_count: 100,
        disk_bw: 2800.5,
        disk_name: 'Samsung SSD 990 PRO',
        disk_space: 512.3,
        dlperf: g.dlperf * numGpus,
        dlperf_per_dphtotal: +((g.dlperf * numGpus) / dphTotal).toFixed(2),
        dph_base: g.dph * numGpus,
        dph_total: dphTotal,
        driver_version: '550.54.14',
        duration: 2_592_000,
        external: false,
        geolocation: g.geo,
        gpu_arch: 'nvidia',
        gpu_frac: 1,
        gpu_name: g.gpu_name,
        gpu_ram: g.gpu_ram,
        gpu_total_ram: g.gpu_ram * numGpus,
        host_id: 60_000 + i,
        inet_down: 900.2,
        inet_up: 850.7,
        is_bid: false,
        machine_id: 30_000 + i,
        min_bid: +(g.dph * 0.6).toFixed(6),
        num_gpus: numGpus,
        reliability: 0.995 - i * 0.002,
        rentable: true,
        rented: false,
        static_ip: true,
        verification: 'verified',
        vms_enabled: false,
        resource_type: 'gpu',
        rn: i + 1,
      };
    },
  );
}
