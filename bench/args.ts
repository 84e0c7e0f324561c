// Command line of `npm run bench -- [flags]`.
import os from "node:os";

export const GROUPS = ["dump", "restore", "physical", "stream", "binlog", "replay", "incidents", "incremental", "agents"] as const;
export type Group = (typeof GROUPS)[number];

export type BenchArgs = {
  sizeGb: number;
  quick: boolean;
  tables: number;
  loadSeconds: number;
  rate: number;
  parallel: number;
  workDir: string;
  skip: Set<Group>;
  /** tools to treat as not installed (to try the skip paths) */
  without: Set<string>;
};

const HELP = `npm run bench -- [--quick] [--size-gb N] [options]

Builds a dataset in a throwaway MariaDB on a Btrfs loop device, then measures on the same data:
logical dumps (ours, mariadb-dump | zstd, mydumper), restores (ours, mariadb <, myloader),
physical backups (snapshot, mariabackup) and their restores, our dump streamed to S3 (s3rver),
binlog archive lag under a sysbench write load, binlog replay (ours vs mariadb-binlog | mariadb),
incidents indexing, mariabackup incrementals, and two runner agents busy at once (needs redis-server).
Results: a Markdown table on stdout, bench/results/<timestamp>.json and bench/results/latest.md.

  --size-gb N         dataset size, InnoDB data+index (default 1)
  --quick             about 200 MB and a 20 s write load: for trying it out
  --tables N          sysbench tables (default 8)
  --load-seconds N    length of the write load for the archive lag (default 45; quick 20)
  --rate N            sysbench transactions per second during the write load (default 2000)
  --parallel N        parallel connections of every tool that has them (default 4)
  --work-dir DIR      where the temp directory goes (default ${os.tmpdir()})
  --skip LIST         leave out groups: ${GROUPS.join(",")} (replay needs restore and binlog)
  --without LIST      act as if these tools were not installed: sysbench, mydumper, myloader,
                      mariadb-backup, mariadb-binlog, mariadb-dump, btrfs (to see what is skipped)
  -h, --help`;

export function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = { sizeGb: 1, quick: false, tables: 8, loadSeconds: 45, rate: 2000, parallel: 4, workDir: os.tmpdir(), skip: new Set(), without: new Set() };
  let sizeGiven = false;
  let loadGiven = false;
  const num = (flag: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`${flag} ${v ?? ""}: give a number >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const [flag, inline] = f.includes("=") ? [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)] : [f, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--size-gb":
        a.sizeGb = num(flag, value(), 0.05);
        sizeGiven = true;
        break;
      case "--quick":
        a.quick = true;
        break;
      case "--tables":
        a.tables = Math.round(num(flag, value(), 1));
        break;
      case "--load-seconds":
        a.loadSeconds = num(flag, value(), 5);
        loadGiven = true;
        break;
      case "--rate":
        a.rate = Math.round(num(flag, value(), 1));
        break;
      case "--parallel":
        a.parallel = Math.round(num(flag, value(), 1));
        break;
      case "--work-dir":
        a.workDir = value() ?? a.workDir;
        break;
      case "--skip":
        for (const g of (value() ?? "").split(",").filter(Boolean)) {
          if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`--skip ${g}: unknown group; use ${GROUPS.join(", ")}`);
          a.skip.add(g as Group);
        }
        break;
      case "--without":
        for (const t of (value() ?? "").split(",").filter(Boolean)) a.without.add(t);
        break;
      case "-h":
      case "--help":
        process.stdout.write(HELP + "\n");
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${f} (see npm run bench -- --help)`);
    }
  }
  if (a.quick && !sizeGiven) a.sizeGb = 0.2;
  if (a.quick && !loadGiven) a.loadSeconds = 20;
  return a;
}
