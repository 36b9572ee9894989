using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Suite 4: Indent outages injected into the emulator — 500 and 503 bursts, 429 with Retry-After, timeouts
/// and connection resets — during create, poll/verify and close. Every workflow ends correctly once Indent recovers,
/// and none acts on a failure.</summary>
[Trait("Category", "Reliability")]
public sealed class OutageTests(ITestOutputHelper output)
{
    static readonly string[] Kinds = ["500 burst", "503 burst", "429 + Retry-After", "timeouts", "connection resets"];
    static readonly string[] Phases = ["create", "poll and verify", "close"];

    /// <summary>What the approver does while Indent is failing: approve, deny, or nothing yet (the workflow must keep
    /// waiting, then is cancelled). Acting on a failed read shows up as a reset where none is due.</summary>
    static readonly string[] Decisions = ["approve", "deny", "leave open"];

    [Fact]
    public async Task IndentOutages_EveryWorkflowEndsCorrectly_NoneActsOnAFailure()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), RequestLog.On(new() { ["APPROVALS_INDENT_ATTEMPT_TIMEOUT_SECONDS"] = "2" }));
        var driver = new ReliabilityDriver(host);
        var sheet = new FigureSheet(output);
        using var admin = host.IndentHttp();
        var repeats = Scale.Pick(1, 4);
        int correct = 0, actedOnFailure = 0, faultsFired = 0;
        for (var r = 0; r < repeats; r++)
        {
            foreach (var phase in Phases)
            {
                for (var k = 0; k < Kinds.Length; k++)
                {
                    var kind = Kinds[k];
                    var decision = phase == "close" ? "cancel" : Decisions[(k + r) % Decisions.Length];
                    var firedBefore = await FiredAsync(admin);
                    var (ok, acted) = await RunAsync(driver, admin, kind, phase, decision, $"out{r}{Array.IndexOf(Phases, phase)}{k}");
                    var fired = await FiredAsync(admin) > firedBefore;
                    correct += ok ? 1 : 0;
                    actedOnFailure += acted ? 1 : 0;
                    faultsFired += fired ? 1 : 0;
                    output.WriteLine($"{phase} / {kind} / {decision}: {(ok ? "correct" : "WRONG")}{(acted ? " ACTED ON FAILURE" : "")}{(fired ? "" : " (FAULT NEVER FIRED)")}");
                }
            }
        }

        var scan = await driver.ScanForSecretsAsync();
        var planned = repeats * Phases.Length * Kinds.Length;
        sheet.Record("outage.correct", planned, correct);
        sheet.Record("outage.acted", 0, actedOnFailure);
        sheet.Record("outage.fired", planned, faultsFired);
        sheet.Record("outage.5xx", 0, RequestLog.ServerErrors(host.Output));
        sheet.Record("secrets.outage", 0, scan.Found.Count, scan.Detail);
        sheet.AssertAllHeld();
    }

    static async Task<long> FiredAsync(HttpClient admin)
    {
        using var stats = JsonDocument.Parse(await admin.GetStringAsync("indent/_admin/stats"));
        return stats.RootElement.GetProperty("faultsFired").GetInt64();
    }

    static object Fault(string kind, string? method, string path) => kind switch
    {
        "500 burst" => new { status = 500, count = 6, method, pathContains = path },
        "503 burst" => new { status = 503, count = 6, method, pathContains = path },
        "429 + Retry-After" => new { status = 429, count = 3, retryAfterSeconds = 1, method, pathContains = path },
        "timeouts" => new { latencyMs = 3000, method, pathContains = path },
        _ => new { resetConnections = 4, method, pathContains = path },
    };

    static async Task SetFaultAsync(HttpClient admin, string kind, string? method, string path)
    {
        using var response = await admin.PutAsJsonAsync("indent/_admin/faults", Fault(kind, method, path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Ends the outage once it has been felt — observed in the emulator's count of faulted calls (two for
    /// timeouts, which have no count of their own), bounded — not after a fixed time.</summary>
    static async Task RecoverAsync(HttpClient admin, string kind, long firedBefore)
    {
        var felt = firedBefore + (kind == "timeouts" ? 2 : 1);
        for (var until = DateTime.UtcNow.AddSeconds(60); await FiredAsync(admin) < felt && DateTime.UtcNow < until;)
        {
            await Task.Delay(100);
        }

        using var cleared = await admin.DeleteAsync("indent/_admin/faults");
        Assert.True(cleared.IsSuccessStatusCode);
    }

    async Task<(bool Correct, bool Acted)> RunAsync(ReliabilityDriver driver, HttpClient admin, string kind, string phase, string decision, string user)
    {
        string id, petition;
        var firedBefore = await FiredAsync(admin);
        switch (phase)
        {
            case "create":
                await SetFaultAsync(admin, kind, "POST", "/petitions");
                id = await driver.StartAsync(user);
                var recovered = RecoverAsync(admin, kind, firedBefore);   // Indent comes back once the outage was felt
                petition = await driver.PetitionOfAsync(id);
                await recovered;
                return await DecideAsync(driver, id, petition, decision, user);
            case "poll and verify":
                id = await driver.StartAsync(user);
                petition = await driver.PetitionOfAsync(id);
                await SetFaultAsync(admin, kind, "GET", "/petitions/");
                var decided = DecideAsync(driver, id, petition, decision, user, beforeRecovery: () => RecoverAsync(admin, kind, firedBefore));
                return await decided;
            default:
            {
                id = await driver.StartAsync(user);
                petition = await driver.PetitionOfAsync(id);
                await SetFaultAsync(admin, kind, "POST", "/claims");
                await driver.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"api/approvals/{id}/cancel"));
                var closeRecovered = RecoverAsync(admin, kind, firedBefore);   // the close is retried until Indent is back
                var cancelled = await driver.WaitAsync(id, ReliabilityDriver.IsFinal, 90);
                await closeRecovered;
                var closed = false;
                for (var i = 0; i < 600 && !closed; i++)
                {
                    using var read = JsonDocument.Parse(await admin.GetStringAsync($"indent/v1/spaces/local/petitions/{petition}"));
                    closed = read.RootElement.GetProperty("state").GetProperty("status").GetProperty("phase").GetString() == "closed";
                    if (!closed)
                    {
                        await Task.Delay(100);
                    }
                }

                return (cancelled.GetProperty("status").GetString() == "cancelled" && closed, driver.Resets(user) != 0);
            }
        }
    }

    /// <summary>Makes the approver's move (during the outage when <paramref name="beforeRecovery"/> is given), ends the
    /// outage, and judges the outcome by the directory's log.</summary>
    static async Task<(bool Correct, bool Acted)> DecideAsync(ReliabilityDriver driver, string id, string petition, string decision, string user, Func<Task>? beforeRecovery = null)
    {
        if (decision != "leave open")
        {
            await driver.ClaimAsync(petition, decision == "approve" ? "access/approve" : "access/deny");
        }

        if (beforeRecovery is not null)
        {
            await beforeRecovery();
        }

        if (decision == "leave open")
        {
            // Still undecided after the outage: the workflow must be waiting, not acting. Then the requester cancels.
            var waiting = await driver.ViewAsync(id);
            var stillWaiting = waiting.GetProperty("status").GetString() is "awaiting_approval" or "pending";
            await driver.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"api/approvals/{id}/cancel"));
            var ended = await driver.WaitAsync(id, ReliabilityDriver.IsFinal, 120);
            var resets = driver.Resets(user);
            return (stillWaiting && ended.GetProperty("status").GetString() == "cancelled" && resets == 0, resets != 0);
        }

        var view = await driver.WaitAsync(id, ReliabilityDriver.IsFinal, 120);
        var status = view.GetProperty("status").GetString();
        var writes = driver.Resets(user);
        var expected = decision == "approve" ? "completed" : "denied";
        return (status == expected && writes == (decision == "approve" ? 1 : 0), writes > (decision == "approve" ? 1 : 0));
    }
}
