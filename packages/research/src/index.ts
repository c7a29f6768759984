export { ResearchError, type ResearchErrorCode } from './errors.js';
export { MAX_SWEEP_RUNS, parseShard, planSweep, runSetArguments, shardRuns, sweepSeeds, type PlannedRun, type Shard, type SweepAxis, type SweepCell, type SweepPlan } from './grid.js';
export { summarize, type MetricSummary } from './statistics.js';
export { LATENCY_ECDF_POINTS, RUN_METRICS, readLatencyPercentiles, readRunOutcome, runMetrics, type RunMetricName, type RunMetrics, type RunOutcome, type RunSummaryCounts } from './run-outcome.js';
export { StudyFile, cellsCsv, metricNames, readStudy, runsCsv, studyDocument, writeStudy, type CellSummary, type RunRecord, type StudyDocument, type StudyPlan } from './study-files.js';
export { runArguments, runSweep, studyPlanOf, validateCells, type LaunchResult, type RunLauncher, type SweepComponents, type SweepOptions, type SweepProgress, type SweepResult } from './sweep.js';
export { mergeStudies } from './merge.js';
export { loadStudyHtmlAssets, renderStudyHtml, studyHtml, type StudyHtmlAssets } from './study-html.js';
export { studyPageData, type StudyPageData } from './study-html-data.js';
