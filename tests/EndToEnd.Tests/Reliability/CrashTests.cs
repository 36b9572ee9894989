using System.Net;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Suite 3: on Azurite, SIGKILL the host with workflows at every point — before the petition exists, while
/// waiting, between the grant and the action, during the action — then restart. Nothing is lost, nothing runs twice,
/// nothing is stuck.</summary>
[Trait("Category", "Reliability")]
public sealed class CrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledAtRandomPoints_NoLostNoDoubleNoStuck()
    {
        AzuriteRestartTests.RequireAzurite();
        var data = Repo.NewDataDirectory();
        var port = Repo.FreePort();
        var env = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = "crash" + Guid.NewGuid().ToString("N")[..12],
            // Widen "during the action" so a kill can land inside it.
            ["APPROVALS_LOCAL_DIRECTORY_LATENCY_MS"] = "1500",
        };
        var rounds = Scale.Pick(1, 6);
        var perPoint = Scale.Pick(2, 3);
        var random = new Random(42);
        var all = new List<(string Point, string User, string Id)>();
        var toApprove = new List<string>();
        var logs = new List<string>();

        for (var round = 0; round < rounds; round++)
        {
            var host = await HostProcess.StartAsync(data, env, port);
            var driver = new ReliabilityDriver(host);
            string Start(string point, int i) => $"crash{round}{point[..4]}{i}";

            var waiting = new List<string>();
            var inAction = new List<(string User, string Id)>();
            var approveAtKill = new List<(string User, string Id, string Petition)>();
            for (var i = 0; i < perPoint; i++)
            {
                var user = Start("wait", i);
                var id = await driver.StartAsync(user);
                waiting.Add(id);
                all.Add(("while waiting", user, id));

                user = Start("acti", i);
                id = await driver.StartAsync(user);
                inAction.Add((user, id));
                all.Add(("during the action", user, id));

                user = Start("betw", i);
                id = await driver.StartAsync(user);
                approveAtKill.Add((user, id, ""));
                all.Add(("between grant and action", user, id));
            }

            foreach (var id in waiting)
            {
                await driver.PetitionOfAsync(id);
            }

            for (var i = 0; i < approveAtKill.Count; i++)
            {
                approveAtKill[i] = approveAtKill[i] with { Petition = await driver.PetitionOfAsync(approveAtKill[i].Id) };
            }

            foreach (var (_, id) in inAction)
            {
                await driver.ClaimAsync(await driver.PetitionOfAsync(id), "access/approve");
            }

            foreach (var (_, id) in inAction)
            {
                await driver.WaitAsync(id, v => v.GetProperty("status").GetString() is "approved" or "completed", 20);
            }

            // Now: approve the "between" group, start the "before the petition" group, and kill at once.
            var approvals = approveAtKill.Select(a => driver.ClaimAsync(a.Petition, "access/approve")).ToList();
            var beforeUsers = Enumerable.Range(0, perPoint).Select(i => Start("befo", i)).ToList();
            var before = beforeUsers.Select(u => driver.StartAsync(u)).ToList();
            await Task.WhenAll(approvals);
            await Task.WhenAll(before);
            all.AddRange(beforeUsers.Select((u, i) => ("before the petition exists", u, before[i].Result)));
            await Task.Delay(random.Next(0, 150));
            host.Kill();
            logs.Add(host.Output);
            toApprove.AddRange(waiting);
            toApprove.AddRange(before.Select(b => b.Result));
            await host.DisposeAsync();

            // Restart and decide everything left open.
            var restarted = await HostProcess.StartAsync(data, env, port);
            var after = new ReliabilityDriver(restarted);
            foreach (var id in toApprove)
            {
                await after.ClaimAsync(await after.PetitionOfAsync(id), "access/approve");
            }

            toApprove.Clear();
            if (round == rounds - 1)
            {
                await VerifyAsync(after, all, logs);
            }

            logs.Add(restarted.Output);
            await restarted.DisposeAsync();
        }
    }

    async Task VerifyAsync(ReliabilityDriver driver, List<(string Point, string User, string Id)> all, List<string> logs)
    {
        int lost = 0, twice = 0, stuck = 0, completed = 0;
        foreach (var (point, user, id) in all)
        {
            using var response = await driver.Host.Http.GetAsync($"api/approvals/{id}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                lost++;
                output.WriteLine($"LOST {point} {id}");
                continue;
            }

            var view = await driver.WaitAsync(id, ReliabilityDriver.IsFinal, 150);
            var status = view.GetProperty("status").GetString();
            var resets = driver.Resets(user);
            if (!ReliabilityDriver.IsFinal(view))
            {
                stuck++;
                output.WriteLine($"STUCK {point} {id}: {view}");
            }
            else if (status != "completed")
            {
                lost++;
                output.WriteLine($"NOT COMPLETED {point} {id}: {view}");
            }
            else
            {
                completed++;
            }

            // Judged by the directory's own log, not by the workflow's word: a completed approval wrote exactly once,
            // any other outcome never.
            if (resets > 1)
            {
                twice++;
                output.WriteLine($"TWICE {point} {id}: {resets} resets");
            }
            else if (status == "completed" && resets == 0)
            {
                lost++;
                output.WriteLine($"COMPLETED WITHOUT A WRITE {point} {id}");
            }
            else if (status != "completed" && resets != 0)
            {
                twice++;
                output.WriteLine($"WROTE BUT NOT COMPLETED {point} {id}: {resets} resets");
            }
        }

        var secretsFound = await driver.ScanForSecretsAsync([.. logs]);
        Figures.Record(output, "crashes (Azurite, SIGKILL)", "workflows crashed at random points", all.Count, Scale.Long ? ">= 50" : "-", !Scale.Long || all.Count >= 50);
        Figures.Record(output, "crashes (Azurite, SIGKILL)", "approvals lost", lost, "0", lost == 0);
        Figures.Record(output, "crashes (Azurite, SIGKILL)", "actions run twice", twice, "0", twice == 0);
        Figures.Record(output, "crashes (Azurite, SIGKILL)", "workflows stuck", stuck, "0", stuck == 0);
        Figures.Record(output, "secrets", "secrets found (crash run)", secretsFound, "0", secretsFound == 0);
        Assert.Equal(0, lost);
        Assert.Equal(0, twice);
        Assert.Equal(0, stuck);
        Assert.Equal(all.Count, completed);
        Assert.Equal(0, secretsFound);
    }
}
