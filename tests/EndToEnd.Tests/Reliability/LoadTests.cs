using System.Diagnostics;
using System.Net;
using System.Text;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Suite 7: many concurrent approvals through the full loop (request, petition, webhook, verify, reset) on
/// the local host. None lost; each reset exactly once.</summary>
[Trait("Category", "Reliability")]
public sealed class LoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ConcurrentApprovals_FullLoop_NoneLost()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), RequestLog.On(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "5", ["APPROVALS_POLL_MAX_SECONDS"] = "30" }));
        var driver = new ReliabilityDriver(host);
        var sheet = new FigureSheet(output);
        using (var admin = host.IndentHttp())
        {
            using var rule = await admin.PutAsync("indent/_admin/rules", new StringContent("""{"rules":[{"pattern":"*","decision":"approve","afterSeconds":1}]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, rule.StatusCode);
        }

        var count = Scale.Pick(100, 1000);
        var clock = Stopwatch.StartNew();
        var ids = new string[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) => ids[i] = await driver.StartAsync($"load{i}"));
        var startedIn = clock.Elapsed;

        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await driver.WaitAsync(ids[i], ReliabilityDriver.IsFinal, 180));
        var total = clock.Elapsed;

        // Counted from the engine's own record and the directory's log, not from the waits above.
        var completed = (await driver.Engine.InstancesAsync()).Count(i => i.Outcome == "completed");
        var users = Approvals.Local.Actions.FileUserDirectory.Read(host.DataDirectory);
        var once = Enumerable.Range(0, count).Count(i => users.TryGetValue($"load{i}", out var u) && u.Resets == 1);
        var scan = await driver.ScanForSecretsAsync();
        output.WriteLine($"{count} approvals started in {startedIn.TotalSeconds:0.0} s, all final after {total.TotalSeconds:0.0} s (auto-approve after 1 s)");
        sheet.Record("load.completed", count, completed);
        sheet.Record("load.once", count, once);
        sheet.Record("load.seconds", 180, (long)Math.Ceiling(total.TotalSeconds));
        sheet.Record("load.5xx", 0, RequestLog.ServerErrors(host.Output));
        sheet.Record("secrets.load", 0, scan.Found.Count, scan.Detail);
        sheet.AssertAllHeld();
    }
}
