using System.Net;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Suite 2: duplicates and races. Whatever wins, the action runs exactly once when the approval completes
/// and never otherwise.</summary>
[Trait("Category", "Reliability")]
public sealed class RaceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DuplicatesAndRaces_ExactlyOneActionPerGrantedApproval()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), RequestLog.On(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "2" }));
        var driver = new ReliabilityDriver(host);
        var sheet = new FigureSheet(output);
        var rounds = Scale.Pick(3, 25);
        var outcomes = new List<(string Scenario, string User, string Id)>();

        for (var round = 0; round < rounds; round++)
        {
            // The same grant delivered 20 times concurrently.
            var user = $"dup{round}";
            var id = await driver.StartAsync(user);
            var petition = await driver.PetitionOfAsync(id);
            Assert.Equal(HttpStatusCode.OK, await driver.ClaimAsync(petition, "access/approve"));
            var body = ReliabilityDriver.Utf8("{\"events\":[{\"event\":\"access/grant\",\"id\":\"same\",\"meta\":{\"labels\":{\"petition\":\"" + petition + "\"}}}]}");
            var headers = ReliabilityDriver.Signed(body, TestSettings.WebhookSecret, DateTimeOffset.UtcNow);
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => driver.WebhookAsync(body, headers, "duplicate")));
            outcomes.Add(("same grant x20", user, id));

            // Grant racing deny.
            user = $"race{round}";
            id = await driver.StartAsync(user);
            petition = await driver.PetitionOfAsync(id);
            await Task.WhenAll(driver.ClaimAsync(petition, "access/approve"), driver.ClaimAsync(petition, "access/deny"));
            outcomes.Add(("grant racing deny", user, id));

            // Cancel racing grant.
            user = $"cancel{round}";
            id = await driver.StartAsync(user);
            petition = await driver.PetitionOfAsync(id);
            await Task.WhenAll(driver.ClaimAsync(petition, "access/approve"), driver.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"api/approvals/{id}/cancel")));
            outcomes.Add(("cancel racing grant", user, id));
        }

        // A grant before the orchestrator even waits: the emulator approves at creation.
        using (var indent = host.IndentHttp())
        {
            using var rule = await indent.PutAsync("indent/_admin/rules", new StringContent("""{"rules":[{"pattern":"*","decision":"approve","afterSeconds":0}]}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, rule.StatusCode);
        }

        for (var round = 0; round < rounds; round++)
        {
            var user = $"early{round}";
            outcomes.Add(("grant before the wait", user, await driver.StartAsync(user)));
        }

        // Judged by the engine's own record of each outcome against the directory's log of writes.
        foreach (var (_, _, id) in outcomes)
        {
            await driver.WaitAsync(id, ReliabilityDriver.IsFinal);
        }

        var engine = (await driver.Engine.InstancesAsync()).ToDictionary(i => i.Id, i => i.Outcome);
        var violations = 0;
        foreach (var (scenario, user, id) in outcomes)
        {
            var outcome = engine.GetValueOrDefault(id);
            var writes = driver.Resets(user);
            if (outcome is null || writes != (outcome == "completed" ? 1 : 0))
            {
                violations++;
                output.WriteLine($"VIOLATION {scenario}: {id} is {outcome ?? "not finished"} with {writes} writes");
            }
        }

        var mustComplete = outcomes.Where(o => o.Scenario is "same grant x20" or "grant before the wait").ToList();
        var scan = await driver.ScanForSecretsAsync();
        sheet.Record("race.instances", 4 * rounds, engine.Count, $"{engine.Values.Count(o => o == "completed")} completed");
        sheet.Record("race.mustcomplete", 2 * rounds, mustComplete.Count(o => driver.Resets(o.User) == 1));
        sheet.Record("race.violations", 0, violations);
        sheet.Record("race.5xx", 0, RequestLog.ServerErrors(host.Output));
        sheet.Record("secrets.race", 0, scan.Found.Count, scan.Detail);
        sheet.AssertAllHeld();
    }
}
