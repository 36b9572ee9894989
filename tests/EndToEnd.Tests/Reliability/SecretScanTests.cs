using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Suite 6's proof that it can fail: a password planted in an activity's output is found by the scan every
/// suite ends with, in the engine's raw record — the in-memory engine's history through the host, and the task hub's
/// History table on Azurite. The planted value reaches the durable state only as the verify activity's output: it is
/// the approver Indent reports (the user token's subject), which that activity returns with the petition it read.</summary>
[Trait("Category", "Reliability")]
public sealed class SecretScanTests(ITestOutputHelper output)
{
    [Fact]
    public Task PasswordInAnActivityOutput_InMemoryEngine_IsFound() => PlantAndScanAsync(taskHub: null, "secrets.canary.memory");

    [Fact]
    public Task PasswordInAnActivityOutput_AzureStorageTaskHub_IsFound()
    {
        AzuriteRestartTests.RequireAzurite();
        return PlantAndScanAsync("canary" + Guid.NewGuid().ToString("N")[..12], "secrets.canary.azurite");
    }

    async Task PlantAndScanAsync(string? taskHub, string row)
    {
        var environment = taskHub is null ? new Dictionary<string, string>() : new() { ["AzureWebJobsStorage"] = Storage, ["TASKHUB_NAME"] = taskHub };
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), environment);
        var driver = new ReliabilityDriver(host, taskHub is null ? null : new TaskHubRecord(Storage, taskHub));
        var password = "Pw" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var id = await driver.StartAsync("canary1");
        var petition = await driver.PetitionOfAsync(id);

        // The approver's own Indent token: the claim's actor, and so the petition's approver, is the planted password.
        using (var indent = host.IndentHttp())
        {
            indent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Local.Emulator.UserTokens.Issue(password + "@local", TestSettings.Token));
            using var claim = await indent.PostAsync($"indent/v1/spaces/local/petitions/{petition}/claims", JsonContent.Create(new { claim = new { @event = "access/approve" } }));
            Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        }

        var view = await driver.WaitAsync(id, ReliabilityDriver.IsFinal);
        var scan = await driver.ScanForSecretsAsync([password.ToLowerInvariant()]);
        output.WriteLine($"{id} ended {ReliabilityDriver.StatusOf(view)}; found in: {string.Join("; ", scan.Found.Select(f => f.Where))}");
        var sheet = new FigureSheet(output);
        sheet.Record(row, 1, scan.Found.Any(p => p.IsActivityOutput) ? 1 : 0, scan.Detail);
        sheet.AssertAllHeld();
    }

    const string Storage = "UseDevelopmentStorage=true";
}
