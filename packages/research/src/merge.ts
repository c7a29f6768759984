import { readdir } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { ResearchError } from './errors.js';
import { readStudy, StudyFile, writeStudy, type RunRecord, type StudyDocument } from './study-files.js';

/**
 * `zonesim sweep merge DIR... --out DIR`: the shards of one sweep (`--shard I/N`, run anywhere)
 * made into the study the whole sweep would have written: the same plan in every shard, each run
 * recorded once, every run of the plan present. Runs' results directories stay where the shards
 * wrote them; `runs.ndjson` names each one relative to its shard.
 */
export async function mergeStudies(dirs: readonly string[], outDir: string): Promise<{ doc: StudyDocument; runs: RunRecord[] }> {
  if (dirs.length === 0) throw new ResearchError('MERGE_INPUT', 'give the shards\' directories to merge');
  const existing = await readdir(outDir).catch(() => [] as string[]);
  if (existing.includes(StudyFile.Study)) throw new ResearchError('SWEEP_OUT_EXISTS', `${outDir} already holds a study; give another --out`);
  const shards = await Promise.all(
    dirs.map(async (dir) => {
      try {
        return { dir, ...(await readStudy(dir)) };
      } catch (err) {
        throw new ResearchError('MERGE_INPUT', `${dir}: not a sweep's directory (${(err as Error).message})`);
      }
    }),
  );
  const plan = shards[0]!.doc.plan;
  for (const s of shards.slice(1)) {
    if (!isDeepStrictEqual(s.doc.plan, plan)) {
      throw new ResearchError('MERGE_MISMATCH', `${s.dir} is a shard of another sweep than ${shards[0]!.dir} (scenario, mode, seeds, axes or values differ)`);
    }
  }
  const byId = new Map<string, { run: RunRecord; dir: string }>();
  for (const s of shards) {
    for (const run of s.runs) {
      const seen = byId.get(run.id);
      if (seen) throw new ResearchError('MERGE_MISMATCH', `run ${run.id} is in both ${seen.dir} and ${s.dir}: merge each shard once`);
      byId.set(run.id, { run, dir: s.dir });
    }
  }
  if (byId.size < plan.runs) {
    throw new ResearchError('MERGE_INCOMPLETE', `${plan.runs - byId.size} of the plan's ${plan.runs} runs are in none of the ${dirs.length} director${dirs.length === 1 ? 'y' : 'ies'}: is a shard missing, or did one stop early?`);
  }
  const runs = [...byId.values()].map((e) => e.run);
  const doc = await writeStudy(outDir, plan, runs);
  return { doc, runs: runs.sort((a, b) => a.index - b.index) };
}
