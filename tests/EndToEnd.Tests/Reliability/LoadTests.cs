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
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "5", ["APPROVALS_POLL_MAX_SECONDS"] = "30" });
        var driver = new ReliabilityDriver(host);
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

        int lost = 0, wrong = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var view = await driver.WaitAsync(ids[i], ReliabilityDriver.IsFinal, 180);
            if (view.GetProperty("status").GetString() != "completed")
            {
                Interlocked.Increment(ref lost);
            }
            else if (driver.Resets($"load{i}") != 1)
            {
                Interlocked.Increment(ref wrong);
            }
        });
        var total = clock.Elapsed;

        var secretsFound = await driver.ScanForSecretsAsync();
        Figures.Record(output, "secrets", "secrets found (load run)", secretsFound, "0", secretsFound == 0);
        output.WriteLine($"{count} approvals started in {startedIn.TotalSeconds:0.0} s, all final after {total.TotalSeconds:0.0} s (auto-approve after 1 s)");
        Figures.Record(output, "load", "concurrent approvals through the full loop", count, Scale.Long ? "1,000" : "-", !Scale.Long || count >= 1000);
        Figures.Record(output, "load", "approvals lost or not completed", lost, "0", lost == 0);
        Figures.Record(output, "load", "approvals whose reset did not run exactly once", wrong, "0", wrong == 0);
        Figures.Record(output, "load", "seconds from first request to last completion", (long)Math.Ceiling(total.TotalSeconds), "< 180", total < TimeSpan.FromSeconds(180));
        Assert.Equal(0, lost);
        Assert.Equal(0, wrong);
        Assert.Equal(0, driver.ServerErrors);
        Assert.Equal(0, secretsFound);
    }
}
