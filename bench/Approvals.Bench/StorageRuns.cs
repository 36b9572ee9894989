using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Approvals.Bench;

/// <summary>One full measurement of the fast path's storage requests per approval, as recorded in
/// <c>storage-runs.jsonl</c>: the commit measured and the last change under src/ before it, when, the figure (every
/// approval of the run), how many approvals, each window's figure, and whether it is a baseline run.</summary>
public sealed record StorageRun(string Commit, string? Src, string At, double FastPath, int Approvals, IReadOnlyList<double> Windows, bool Baseline, string Series, string Source);

/// <summary>Every storage run ever recorded, and the comparison with the baseline computed from all of them: no run is
/// left out and no figure is typed. A full storage measurement given a commit (scripts/storage-work.sh, scripts/bench.sh)
/// appends its run before the report is written, so the report's comparison includes it.</summary>
public static class StorageRuns
{
    /// <summary>The series a new run belongs to: the commit of the last change to what a fast approval asks of storage
    /// (b125c36: the webhook's read of the instance became the host's check before the event). Every run since measures
    /// that workflow; the comparison is over them. A change that alters the requests a fast approval makes starts a new
    /// series here, so no run of an older workflow is averaged with the current one.</summary>
    public const string Series = "b125c36";

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    static string F(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The ledger, next to this program's source (found from the repository root).</summary>
    public static string? LedgerPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Approvals.sln")))
            {
                return Path.Combine(dir.FullName, "bench", "Approvals.Bench", "storage-runs.jsonl");
            }
        }

        return null;
    }

    public static List<StorageRun> Read(string path) =>
        !File.Exists(path) ? [] : [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<StorageRun>(l, Json)!)];

    public static void Append(string path, StorageRun run) => File.AppendAllText(path, JsonSerializer.Serialize(run, Json) + "\n");

    /// <summary>Mean, sample standard deviation, least and most.</summary>
    static (double Mean, double Sd, double Min, double Max) Stats(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        var sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : double.NaN;
        return (mean, sd, values.Min(), values.Max());
    }

    /// <summary>The sentence that says whether the target is met, from the numbers: met when every run of the series
    /// meets it; "met on average" when the mean does and not every run; otherwise not met.</summary>
    public static string Verdict(IReadOnlyList<StorageRun> runs)
    {
        var baseline = runs.Where(r => r.Baseline).ToList();
        var series = runs.Where(r => !r.Baseline && r.Series == Series).ToList();
        if (baseline.Count == 0 || series.Count == 0)
        {
            return "No comparison with the baseline: the ledger holds no baseline run or no run of the current series.";
        }

        var b = Stats([.. baseline.Select(r => r.FastPath)]);
        var s = Stats([.. series.Select(r => r.FastPath)]);
        var bound = b.Mean * (1 - Targets.StorageReduction);
        var meeting = series.Count(r => r.FastPath <= bound);
        var state = meeting == series.Count ? "**met**" : s.Mean <= bound ? "**met on average, not by every run**" : "**not met**";
        return $"Storage requests per fast-path approval, target ≥ {F(Targets.StorageReduction * 100, "0")} % below the baseline ({F(b.Mean)}, {baseline.Count} run{(baseline.Count == 1 ? "" : "s")} of {baseline.Sum(r => r.Approvals)} approvals), so ≤ {F(bound, "0.00")}: "
            + $"{state}. The {series.Count} recorded runs since {Series} average {F(s.Mean, "0.00")} (sd {F(s.Sd, "0.00")}, {F(s.Min, "0.00")} to {F(s.Max, "0.00")}), "
            + $"{F((1 - (s.Mean / b.Mean)) * 100)} % below the baseline; {meeting} of {series.Count} runs meet the target.";
    }

    /// <summary>Every recorded run against the baseline, then <see cref="Verdict"/>.</summary>
    public static void Append(StringBuilder md, IReadOnlyList<StorageRun> runs)
    {
        if (runs.Count == 0)
        {
            return;
        }

        var baseline = runs.Where(r => r.Baseline).Select(r => r.FastPath).DefaultIfEmpty(double.NaN).Average();
        md.AppendLine("#### Against the baseline: every recorded run");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Every full storage measurement recorded in `bench/Approvals.Bench/storage-runs.jsonl` (this run included when it was one), the fast path as configured: storage requests per approval over all its approvals, against the baseline's mean ({F(baseline)}). Runs of another series measured an older workflow and are listed, not averaged.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"| commit measured | last change under src/ | when | series | approvals | windows | **per approval** | below the baseline | ≥ {F(Targets.StorageReduction * 100, "0")} % below |");
        md.AppendLine("|---|---|---|---|---:|---|---:|---:|---|");
        foreach (var r in runs)
        {
            var below = r.Baseline ? "(baseline)" : $"{F((1 - (r.FastPath / baseline)) * 100)} %";
            var meets = r.Baseline ? "–" : r.FastPath <= baseline * (1 - Targets.StorageReduction) ? "yes" : "no";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Commit} | {r.Src ?? "–"} | {r.At} | {r.Series} | {r.Approvals} | {(r.Windows.Count == 0 ? "–" : string.Join(", ", r.Windows.Select(w => F(w))))} | **{F(r.FastPath, "0.00")}** | {below} | {meets} |");
        }

        md.AppendLine();
        md.AppendLine(Verdict(runs));
        md.AppendLine();
    }
}
