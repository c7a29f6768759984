/** The mean of one metric in each cell of a study's `cells.csv` (cell id -> mean), for the study tests. */
export function cellMeans(csv: string, metric: string): Map<string, number> {
  const [head, ...rows] = csv.trim().split('\n');
  const names = head!.split(',');
  const at = (row: string[], name: string): string => row[names.indexOf(name)]!;
  return new Map(rows.map((r) => r.split(',')).filter((r) => at(r, 'metric') === metric).map((r) => [at(r, 'cell'), Number(at(r, 'mean'))]));
}
