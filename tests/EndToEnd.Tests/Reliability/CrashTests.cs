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

    /// <summary>A process ended by SIGKILL exits with 128 + 9.</summary>
    public const int SigKillExitStatus = 137;

    [Fact]
    public async Task KilledAtNamedPoints_EveryKillLands_NoLostNoDoubleNoStuck()
    {
        AzuriteRestartTests.RequireAzurite();
        var data = Repo.NewDataDirectory();
        var port = Repo.FreePort();
        var taskHub = "crash" + Guid.NewGuid().ToString("N")[..12];
        var env = RequestLog.On(new()
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = taskHub,
            // The action's two fault points: the directory holds 1.5 s before its write and 1.5 s after it, each
            // announced by a marker (fault-points/before-directory-write.<user>, after-directory-write.<user>).
            [FileUserDirectory.LatencySetting] = "1500",
            [FileUserDirectory.LatencyAfterWriteSetting] = "1500",
        });
        var kills = Scale.Pick(Points.Length, 55);
        var all = new List<(string Point, string User, string Id)>();
        var planned = Points.ToDictionary(p => p, _ => 0);
        var confirmed = Points.ToDictionary(p => p, _ => 0);
        var sigkills = 0;
        var logs = new List<string>();
        var drivers = new List<ReliabilityDriver>();
        var toDecide = new List<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var host = await HostProcess.StartAsync(data, env, port);
        for (var kill = 0; kill < kills; kill++)
        {
            var point = Points[kill % Points.Length];
            planned[point]++;
            var user = $"kill{kill}";
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s kill {kill}: driving to '{point}'");
            var driver = new ReliabilityDriver(host);
            drivers.Add(driver);
            var (id, marker) = await DriveToAsync(driver, point, user);
            var exit = host.Kill();
            logs.Add(host.Output);
            await host.DisposeAsync();

            // Confirmed from three records the suite does not keep: the killed process's own exit status, the host's
            // marker for the point, and the directory's log (and, after the write, the credential store) at the kill.
            var writesAtKill = FileUserDirectory.Read(data).TryGetValue(user, out var u) ? u.Resets : 0;
            var applied = AppliedMark(data, id);
            sigkills += exit == SigKillExitStatus ? 1 : 0;
            var landed = exit == SigKillExitStatus && marker && point switch
            {
                AfterWrite => writesAtKill == 1 && applied == false,
                _ => writesAtKill == 0,
            };
            confirmed[point] += landed ? 1 : 0;
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s kill {kill} at '{point}': exit status {exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (still running)"}, marker {(marker ? "seen" : "NOT SEEN")}, {writesAtKill} writes at the kill, applied mark {(applied is null ? "no credential" : applied.Value ? "PRESENT" : "absent")}{(landed ? "" : " — NOT CONFIRMED")}");

            all.Add((point, user, id));
            if (point is BeforePetition or Waiting)
            {
                toDecide.Add(id); // left open by the kill: decided after the last kill
            }

            ClearMarkers(data);
            host = await HostProcess.StartAsync(data, env, port);
        }

        // An activity in flight at a kill is redelivered once its lock lapses; decide what the kills left open meanwhile.
        var last = new ReliabilityDriver(host, new TaskHubRecord("UseDevelopmentStorage=true", taskHub));
        foreach (var id in toDecide)
        {
            await last.ClaimAsync(await last.PetitionOfAsync(id, seconds: 180), "access/approve");
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s all kills done; verifying");
        await using (host)
        {
            foreach (var d in drivers)
            {
                foreach (var response in d.Responses)
                {
                    last.Responses.Enqueue(response);
                }
            }

            foreach (var (_, _, id) in all)
            {
                last.Ids.Add(id);
            }

            await VerifyAsync(last, all, logs, kills, sigkills, planned, confirmed);
        }
    }

    /// <summary>The credential store's bookkeeping for an approval's reset: whether its credential is marked applied
    /// (null when no credential is stored for it).</summary>
    internal static bool? AppliedMark(string data, string id)
    {
        var file = Path.Combine(data, "secrets", Core.Actions.PasswordResetService.CredentialName(id) + ".json");
        return File.Exists(file) ? System.Text.Json.JsonDocument.Parse(File.ReadAllText(file)).RootElement.GetProperty("applied").GetBoolean() : null;
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

    async Task VerifyAsync(ReliabilityDriver driver, List<(string Point, string User, string Id)> all, List<string> logs, int kills, int sigkills, Dictionary<string, int> planned, Dictionary<string, int> confirmed)
    {
        int once = 0, twice = 0, stuck = 0;
        foreach (var (point, user, id) in all)
        {
            var view = await driver.WaitAsync(id, ReliabilityDriver.IsFinal, 150);
            var status = ReliabilityDriver.StatusOf(view);
            var writes = driver.Resets(user);
            if (!ReliabilityDriver.IsFinal(view))
            {
                stuck++;
                output.WriteLine($"STUCK {point} {id}: {view}");
            }

            // Judged by the directory's own log, not by the workflow's word: a completed approval wrote exactly once.
            if (status == "completed" && writes == 1)
            {
                once++;
            }
            else
            {
                output.WriteLine($"NOT COMPLETED WITH ONE WRITE {point} {id}: {status ?? "(no status)"}, {writes} writes");
            }

            twice += writes > 1 ? 1 : 0;
        }

        var scan = await driver.ScanForSecretsAsync(null, [.. logs]);
        var sheet = new FigureSheet(output);
        sheet.Record("crash.sigkill", kills, sigkills);
        foreach (var (point, id) in PointIds)
        {
            sheet.Record(id, planned[point], confirmed[point]);
        }

        sheet.Record("crash.once", kills, once);
        sheet.Record("crash.twice", 0, twice);
        sheet.Record("crash.stuck", 0, stuck);
        sheet.Record("secrets.crash", 0, scan.Found.Count, scan.Detail);
        sheet.AssertAllHeld();
    }

    static readonly (string Point, string Id)[] PointIds =
        [(BeforePetition, "crash.at.before-petition"), (Waiting, "crash.at.waiting"), (BetweenGrantAndAction, "crash.at.between"), (BeforeWrite, "crash.at.before-write"), (AfterWrite, "crash.at.after-write")];
}
