using System.Net;
using System.Net.Http.Json;
using Approvals.EndToEnd.Tests.Support;
using Approvals.Local.Actions;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Suite 3: on Azurite, SIGKILL the host again and again, each kill aimed at one named point of one workflow
/// — before the petition exists, while waiting, between the grant and the action, during the action before the
/// directory write, after the write before the bookkeeping — and confirmed to have landed there by a marker the host
/// drops when the workflow is held at that point. After each kill the host restarts and what was left open is decided.
/// Judged by the local directory's own log: nothing lost, nothing written twice, nothing stuck.</summary>
[Trait("Category", "Reliability")]
public sealed class CrashTests(ITestOutputHelper output)
{
    const string BeforePetition = "before the petition exists";
    const string Waiting = "while waiting";
    const string BetweenGrantAndAction = "between the grant and the action";
    const string BeforeWrite = "during the action, before the directory write";
    const string AfterWrite = "after the directory write, before the bookkeeping";
    static readonly string[] Points = [BeforePetition, Waiting, BetweenGrantAndAction, BeforeWrite, AfterWrite];
    static readonly TimeSpan MarkerBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task KilledAtNamedPoints_EveryKillLands_NoLostNoDoubleNoStuck()
    {
        AzuriteRestartTests.RequireAzurite();
        var data = Repo.NewDataDirectory();
        var port = Repo.FreePort();
        var env = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = "crash" + Guid.NewGuid().ToString("N")[..12],
            // The action's two fault points: the directory holds 1.5 s before its write and 1.5 s after it, each
            // announced by a marker (fault-points/before-directory-write.<user>, after-directory-write.<user>).
            [FileUserDirectory.LatencySetting] = "1500",
            [FileUserDirectory.LatencyAfterWriteSetting] = "1500",
        };
        var kills = Scale.Pick(Points.Length, 55);
        var all = new List<(string Point, string User, string Id)>();
        var landed = Points.ToDictionary(p => p, _ => 0);
        var missed = new List<string>();
        var logs = new List<string>();
        var toDecide = new List<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var host = await HostProcess.StartAsync(data, env, port);
        for (var kill = 0; kill < kills; kill++)
        {
            var point = Points[kill % Points.Length];
            var user = $"kill{kill}";
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s kill {kill}: driving to '{point}'");
            var (id, atPoint) = await DriveToAsync(new ReliabilityDriver(host), point, user);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s kill {kill}: at the point: {atPoint}");
            host.Kill();
            logs.Add(host.Output);
            await host.DisposeAsync();

            // The directory's log at the moment of the kill confirms the two action points from outside the host too.
            var resetsAtKill = FileUserDirectory.Read(data).TryGetValue(user, out var u) ? u.Resets : 0;
            atPoint &= point switch { BeforeWrite => resetsAtKill == 0, AfterWrite => resetsAtKill == 1, _ => resetsAtKill == 0 };
            if (atPoint)
            {
                landed[point]++;
            }
            else
            {
                missed.Add($"kill {kill}: {point} ({id}), {resetsAtKill} resets at the kill");
                output.WriteLine($"MISSED kill {kill} at {point} ({id}): {resetsAtKill} resets at the kill");
            }

            all.Add((point, user, id));
            if (point is BeforePetition or Waiting)
            {
                toDecide.Add(id); // left open by the kill: decided after the last kill
            }

            ClearMarkers(data);
            host = await HostProcess.StartAsync(data, env, port);
        }

        // An activity in flight at a kill is redelivered once its lock lapses; decide what the kills left open meanwhile.
        var last = new ReliabilityDriver(host);
        foreach (var id in toDecide)
        {
            await last.ClaimAsync(await last.PetitionOfAsync(id, seconds: 180), "access/approve");
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s all kills done; verifying");
        await using (host)
        {
            await VerifyAsync(new ReliabilityDriver(host), all, logs, landed, missed);
        }
    }

    /// <summary>Starts a workflow for <paramref name="user"/> and brings it to <paramref name="point"/>, where it is
    /// held; returns its id and whether the host's marker for that point appeared within the bound.</summary>
    static async Task<(string Id, bool AtPoint)> DriveToAsync(ReliabilityDriver driver, string point, string user)
    {
        var host = driver.Host;
        switch (point)
        {
            case BeforePetition:
            {
                // Hold the petition create in the emulator (which drops indent-held.POST…): the host dies mid-call.
                await SetFaultAsync(host, new { latencyMs = 60_000, method = "POST", pathContains = "/petitions" });
                var id = await driver.StartAsync(user);
                return (id, await MarkerAsync(host.DataDirectory, "indent-held.POST*"));
            }

            case Waiting:
            {
                var id = await driver.StartAsync(user);
                await driver.PetitionOfAsync(id);
                // The marker is the host's own record: the custom status it wrote on reaching the wait.
                return (id, (await driver.ViewAsync(id)).GetProperty("status").GetString() == "awaiting_approval");
            }

            case BetweenGrantAndAction:
            {
                var id = await driver.StartAsync(user);
                var petition = await driver.PetitionOfAsync(id);
                // Hold the verify read of this petition: granted in Indent, not yet acted on.
                await SetFaultAsync(host, new { latencyMs = 60_000, method = "GET", pathContains = "/petitions/" + petition });
                await driver.ClaimAsync(petition, "access/approve");
                return (id, await MarkerAsync(host.DataDirectory, "indent-held.GET*"));
            }

            default:
            {
                var id = await driver.StartAsync(user);
                await driver.ClaimAsync(await driver.PetitionOfAsync(id), "access/approve");
                var marker = point == BeforeWrite ? FileUserDirectory.BeforeWriteMarker(host.DataDirectory, user) : FileUserDirectory.AfterWriteMarker(host.DataDirectory, user);
                return (id, await MarkerAsync(Path.GetDirectoryName(marker)!, Path.GetFileName(marker)));
            }
        }
    }

    static async Task SetFaultAsync(HostProcess host, object fault)
    {
        using var indent = host.IndentHttp();
        using var response = await indent.PutAsJsonAsync("indent/_admin/faults", fault);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Waits, bounded, for a marker file matching <paramref name="pattern"/>.</summary>
    internal static async Task<bool> MarkerAsync(string dataOrMarkerDirectory, string pattern)
    {
        var directory = Path.GetFileName(dataOrMarkerDirectory) == FaultPoints.Directory ? dataOrMarkerDirectory : Path.Combine(dataOrMarkerDirectory, FaultPoints.Directory);
        var until = DateTime.UtcNow + MarkerBound;
        while (DateTime.UtcNow < until)
        {
            if (Directory.Exists(directory) && Directory.GetFiles(directory, pattern).Length > 0)
            {
                return true;
            }

            await Task.Delay(20);
        }

        return false;
    }

    static void ClearMarkers(string data)
    {
        var directory = Path.Combine(data, FaultPoints.Directory);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    async Task VerifyAsync(ReliabilityDriver driver, List<(string Point, string User, string Id)> all, List<string> logs, Dictionary<string, int> landed, List<string> missed)
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

        var kills = all.Count;
        var secretsFound = await driver.ScanForSecretsAsync([.. logs]);
        const string area = "crashes (Azurite, SIGKILL)";
        Figures.Record(output, area, "kills (one process, one workflow at a named point each)", kills, Scale.Long ? ">= 50" : "-", !Scale.Long || kills >= 50);
        foreach (var (point, count) in landed)
        {
            Figures.Record(output, area, $"kills confirmed at '{point}' by the host's marker", count, "-", true);
        }

        Figures.Record(output, area, "kills that missed their point", missed.Count, "0", missed.Count == 0);
        Figures.Record(output, area, "approvals lost (by the directory's log)", lost, "0", lost == 0);
        Figures.Record(output, area, "approvals written twice (by the directory's log)", twice, "0", twice == 0);
        Figures.Record(output, area, "workflows stuck", stuck, "0", stuck == 0);
        Figures.Record(output, "secrets", "secrets found (crash run)", secretsFound, "0", secretsFound == 0);
        Assert.True(missed.Count == 0, string.Join("\n", missed));
        Assert.Equal(0, lost);
        Assert.Equal(0, twice);
        Assert.Equal(0, stuck);
        Assert.Equal(kills, completed);
        Assert.Equal(0, secretsFound);
    }
}
