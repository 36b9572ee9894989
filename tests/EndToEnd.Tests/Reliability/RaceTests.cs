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
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "2" });
        var driver = new ReliabilityDriver(host);
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
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => driver.WebhookAsync(body, headers)));
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

        var violations = 0;
        var completed = 0;
        foreach (var (scenario, user, id) in outcomes)
        {
            var view = await driver.WaitAsync(id, ReliabilityDriver.IsFinal);
            var status = view.GetProperty("status").GetString();
            var expected = status == "completed" ? 1 : 0;
            completed += expected;
            if (!ReliabilityDriver.IsFinal(view) || driver.Resets(user) != expected)
            {
                violations++;
                output.WriteLine($"VIOLATION {scenario}: {id} is {status} with {driver.Resets(user)} resets");
            }
        }

        var secretsFound = await driver.ScanForSecretsAsync();
        Figures.Record(output, "duplicates and races", $"approvals raced ({outcomes.Count}, {completed} completed)", outcomes.Count, $">= {rounds}", outcomes.Count >= rounds);
        Figures.Record(output, "duplicates and races", "approvals whose action count is not exactly 1 when completed, 0 otherwise", violations, "0", violations == 0);
        Figures.Record(output, "duplicates and races", "server errors (5xx)", driver.ServerErrors, "0", driver.ServerErrors == 0);
        Figures.Record(output, "secrets", "secrets found (race run)", secretsFound, "0", secretsFound == 0);
        Assert.Equal(0, violations);
        Assert.Equal(0, driver.ServerErrors);
        Assert.Equal(0, secretsFound);
        Assert.True(completed >= rounds * 2, $"only {completed} completed");
    }
}
