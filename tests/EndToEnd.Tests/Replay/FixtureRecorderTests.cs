using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Approvals.Core.Tests.Workflow.Replay;
using Approvals.EndToEnd.Tests.Reliability;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Replay;

/// <summary>Records replay fixtures: one real run of each scenario below, on the Azure Storage backend (Azurite), by a
/// built local host — this build, or another commit's when <c>scripts/record-fixtures.sh COMMIT</c> sets
/// <see cref="HostVariable"/> — each driven to its end, then each instance's stored history written as a fixture. Every
/// recording is checked before it is kept: each scenario ended as it should, the waiting points the replay tests need
/// are in it, no secret is in it, and today's orchestrators replay it at every waiting point. In <c>./test.sh</c> it
/// records this build into a temporary directory: the recorder keeps working, and the replayer accepts what the real
/// engine wrote.</summary>
public sealed class FixtureRecorderTests(ITestOutputHelper output)
{
    /// <summary>The host build to record (its <c>approvals-local.dll</c>); this build's when unset.</summary>
    public const string HostVariable = "APPROVALS_RECORD_HOST";

    /// <summary>What the fixtures say they were recorded from (the commit).</summary>
    public const string CommitVariable = "APPROVALS_RECORD_COMMIT";

    /// <summary>Where to write the fixtures; a temporary directory when unset.</summary>
    public const string OutVariable = "APPROVALS_RECORD_OUT";

    sealed record Run(string Scenario, string Description, string Orchestrator, string Id, string Expected);

    [Fact]
    public async Task Record_EveryScenarioOnAzurite_EndsAsExpected_HasTheWaitingPoints_NoSecret_Replays()
    {
        AzuriteRestartTests.RequireAzurite();
        var hostDll = Environment.GetEnvironmentVariable(HostVariable) is { Length: > 0 } given ? given : Repo.HostDll;
        var recordedFrom = Environment.GetEnvironmentVariable(CommitVariable) is { Length: > 0 } commit ? commit : "this build";
        var outDirectory = Environment.GetEnvironmentVariable(OutVariable) is { Length: > 0 } dir ? dir : Path.Combine(Path.GetTempPath(), "approvals-fixtures", Guid.NewGuid().ToString("N"));
        var taskHub = "rec" + Guid.NewGuid().ToString("N")[..12];
        var data = Repo.NewDataDirectory();
        var env = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = taskHub,
            ["APPROVALS_ACCESS_MIN_SECONDS"] = "1",
        };

        var secrets = new List<string> { TestSettings.Token, TestSettings.Token.Split('.')[2], TestSettings.WebhookSecret };
        using var stored = new StoredHistory(taskHub);
        var fixtures = new List<ReplayFixture>();
        await using (var host = await HostProcess.StartBuildAsync(hostDll, data, env))
        {
            secrets.Add(host.Http.DefaultRequestHeaders.Authorization!.Parameter!);
            var driver = new ReliabilityDriver(host);
            List<Run> runs = [.. await Task.WhenAll(
                ResetApprovedAsync(driver, secrets),
                ResetAsync(driver, "reset-denied", "a password reset, denied in Indent", "denied", async (id, petition) => await driver.ClaimAsync(petition, "access/deny")),
                ResetAsync(driver, "reset-cancelled", "a password reset, cancelled by its requester while waiting", "cancelled", async (id, _) => await CancelAsync(host, id)),
                ResetAsync(driver, "reset-self-approved", "a password reset approved by its own requester: refused by four eyes", "denied", async (_, petition) => await ClaimAsAsync(host, secrets, HostProcess.Caller, petition, "access/approve")),
                ResetExpiredAsync(driver),
                AccessAsync(driver, "access-timer", "time-boxed access for 10 s, approved, ended by its timer", 10, null),
                AccessAsync(driver, "access-revoked", "time-boxed access, approved, then revoked in Indent", 600, async (id, petition) => await driver.ClaimAsync(petition, "access/revoke")),
                AccessAsync(driver, "access-cancelled", "time-boxed access, approved, then ended early by its requester", 600, async (id, _) => await CancelAsync(host, id)))];

            // The reveal of the approved reset's password: its own small instance, run by this host.
            var approved = runs.Single(r => r.Scenario == "reset-approved");
            runs.Add(new Run("reset-approved-reveal", "the one reveal of the approved reset's temporary password, and its destruction", "CredentialRevealOrchestrator", approved.Id + "-credential", "revealed"));

            // Read while the host still runs: an instance it has not finished yet (the reveal) finishes meanwhile.
            foreach (var run in runs)
            {
                var events = await stored.ReadFinishedAsync(run.Id, TimeSpan.FromSeconds(90));
                var final = events.LastOrDefault(e => e.Type == "ExecutionCompleted");
                Assert.True(final is not null, $"{run.Scenario} ({run.Id}): the stored history did not end within 90 s ({events.Count} events)");
                if (run.Expected.Length > 0)
                {
                    Assert.Contains($"\"{run.Expected}\"", final.Result, StringComparison.OrdinalIgnoreCase);
                }

                var started = events.First(e => e.Type == "ExecutionStarted");
                // The orchestrator the instance was started on, as stored: access runs on ActionOrchestrator since it moved
                // onto the action contract, on AccessOrchestrator in builds before.
                fixtures.Add(new ReplayFixture(run.Scenario, run.Description, recordedFrom, "Azure Storage (Azurite, DurableTask.AzureStorage)", DateTimeOffset.UtcNow, started.Name ?? run.Orchestrator, started.Version ?? "", run.Id, events));
            }

            secrets.AddRange(LocalSecretValues(data));
        }

        Directory.CreateDirectory(outDirectory);

        // Nothing secret in what is kept: the tokens, the webhook secret, the seal key, the password handed out.
        var texts = fixtures.Select(f => f.ToJson()).ToList();
        var leaks = Local.Tests.Support.SecretScanner.Find(secrets, texts);
        Assert.True(leaks.Count == 0, $"{leaks.Count} secret(s) found in the recorded histories");

        foreach (var fixture in fixtures)
        {
            await File.WriteAllTextAsync(Path.Combine(outDirectory, fixture.Scenario + ".json"), fixture.ToJson());
            var points = fixture.WaitingPoints();
            output.WriteLine($"{fixture.Scenario} ({fixture.Orchestrator}, version '{fixture.Version}'): {fixture.Events.Count} events; " + string.Join(", ", points.Select(p => $"{p.Count}:{p.Point}")));
            foreach (var (count, point) in points)
            {
                var verdict = HistoryReplayer.Replay(fixture, count);
                Assert.True(verdict.Matches, $"{fixture.Scenario} at {count} events ({point}): {verdict.Problem}");
            }

            var steps = HistoryReplayer.ReplaySteps(fixture);
            Assert.True(steps.Matches, $"{fixture.Scenario}, step by step: {steps.Problem}");
        }

        // The waiting points the issue names, for each kind of approval.
        string[] PointsOf(string scenario) => [.. fixtures.Single(f => f.Scenario == scenario).WaitingPoints().Select(p => p.Point)];
        Assert.Contains(ReplayFixture.AwaitingDecision, PointsOf("reset-approved"));
        Assert.Contains(ReplayFixture.BetweenGrantAndAction, PointsOf("reset-approved"));
        Assert.Contains(ReplayFixture.AwaitingDecision, PointsOf("access-timer"));
        Assert.Contains(ReplayFixture.BetweenGrantAndAction, PointsOf("access-timer"));
        Assert.Contains(ReplayFixture.AccessActive, PointsOf("access-timer"));
        output.WriteLine($"{fixtures.Count} fixtures from {recordedFrom} written to {outDirectory}");
        if (Environment.GetEnvironmentVariable(OutVariable) is not { Length: > 0 })
        {
            Directory.Delete(outDirectory, recursive: true); // a self-check: nothing to keep
        }
    }

    static async Task<Run> ResetApprovedAsync(ReliabilityDriver driver, List<string> secrets)
    {
        var id = await driver.StartAsync("recA" + Guid.NewGuid().ToString("N")[..6], "to recover account");
        var petition = await driver.PetitionOfAsync(id);
        await driver.WaitAsync(id, v => v.GetProperty("pollCount").GetInt32() >= 2); // a few polls first, as a real wait has
        Assert.Equal(HttpStatusCode.OK, await driver.ClaimAsync(petition, "access/approve"));
        await driver.WaitAsync(id, ReliabilityDriver.IsFinal);

        using var credential = await driver.Host.Http.PostAsync($"api/approvals/{id}/credential", null);
        Assert.Equal(HttpStatusCode.OK, credential.StatusCode);
        using var body = JsonDocument.Parse(await credential.Content.ReadAsStringAsync());
        lock (secrets)
        {
            secrets.Add(body.RootElement.GetProperty("password").GetString()!);
        }

        return new Run("reset-approved", "a password reset, polled, approved in Indent (webhook), completed", "ApprovalOrchestrator", id, "completed");
    }

    static async Task<Run> ResetAsync(ReliabilityDriver driver, string scenario, string description, string expected, Func<string, string, Task> decide)
    {
        var id = await driver.StartAsync("rec" + Guid.NewGuid().ToString("N")[..8], "to recover account");
        await decide(id, await driver.PetitionOfAsync(id));
        var view = await driver.WaitAsync(id, ReliabilityDriver.IsFinal);
        Assert.Equal(expected, view.GetProperty("status").GetString());
        return new Run(scenario, description, "ApprovalOrchestrator", id, expected);
    }

    static async Task<Run> ResetExpiredAsync(ReliabilityDriver driver)
    {
        var id = await driver.StartAsync("recE" + Guid.NewGuid().ToString("N")[..6], "to recover account", deadlineSeconds: 5);
        var view = await driver.WaitAsync(id, ReliabilityDriver.IsFinal);
        Assert.Equal("expired", view.GetProperty("status").GetString());
        return new Run("reset-expired", "a password reset nobody decided: expired at its 5 s deadline, petition closed", "ApprovalOrchestrator", id, "expired");
    }

    static async Task<Run> AccessAsync(ReliabilityDriver driver, string scenario, string description, int seconds, Func<string, string, Task>? end)
    {
        using var started = await driver.Host.Http.PostAsJsonAsync("api/access-requests", new { resource = "Production", reason = "to debug production", durationSeconds = seconds });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var petition = await driver.PetitionOfAsync(id);
        Assert.Equal(HttpStatusCode.OK, await driver.ClaimAsync(petition, "access/approve"));
        await driver.WaitAsync(id, v => v.GetProperty("status").GetString() == "active");
        if (end is not null)
        {
            await end(id, petition);
        }

        var view = await driver.WaitAsync(id, ReliabilityDriver.IsFinal, seconds: 60);
        Assert.Equal("completed", view.GetProperty("status").GetString());
        return new Run(scenario, description, "AccessOrchestrator", id, "completed");
    }

    static async Task CancelAsync(HostProcess host, string id)
    {
        using var response = await host.Http.PostAsJsonAsync($"api/approvals/{id}/cancel", new { reason = "recorded cancel" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>A claim made with an Indent user token for <paramref name="email"/> (the emulator's admin route mints it).</summary>
    static async Task ClaimAsAsync(HostProcess host, List<string> secrets, string email, string petition, string eventType)
    {
        using var indent = host.IndentHttp();
        using var minted = await indent.PostAsJsonAsync("indent/_admin/tokens", new { email });
        var token = JsonDocument.Parse(await minted.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        lock (secrets)
        {
            secrets.Add(token);
        }

        using var asPerson = new HttpClient { BaseAddress = host.BaseAddress };
        asPerson.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var claim = await asPerson.PostAsync($"indent/v1/spaces/local/petitions/{petition}/claims", JsonContent.Create(new { claim = new { @event = eventType } }));
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
    }

    /// <summary>The generated local secrets (emulator token and webhook secret, the seal key).</summary>
    static IEnumerable<string> LocalSecretValues(string data)
    {
        var file = Path.Combine(data, Local.Hosting.LocalSecrets.FileName);
        if (!File.Exists(file))
        {
            return [];
        }

        using var document = JsonDocument.Parse(File.ReadAllText(file));
        return [.. document.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).Select(p => p.Value.GetString()!)];
    }
}
