using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Scale of the reliability suite: <c>short</c> in every test run, <c>long</c> from scripts/reliability.sh.</summary>
public static class Scale
{
    public static bool Long => string.Equals(Environment.GetEnvironmentVariable("RELIABILITY_SCALE"), "long", StringComparison.OrdinalIgnoreCase);

    public static int Pick(int shortRun, int longRun) => Long ? longRun : shortRun;
}

/// <summary>One measured figure of the suite, appended to artifacts/reliability/figures.jsonl and printed.</summary>
public sealed record Figure(string Area, string Name, long Value, string Target, bool Holds, string Scale);

public static class Figures
{
    static readonly Lock Gate = new();

    public static string FilePath => Path.Combine(Repo.Root, "artifacts", "reliability", "figures.jsonl");

    public static void Record(Xunit.Abstractions.ITestOutputHelper output, string area, string name, long value, string target, bool holds)
    {
        var figure = new Figure(area, name, value, target, holds, Scale.Long ? "long" : "short");
        output.WriteLine($"FIGURE {area} | {name} | {value} | target {target} | {(holds ? "holds" : "MISSED")}");
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            File.AppendAllText(FilePath, JsonSerializer.Serialize(figure) + "\n");
        }
    }
}
