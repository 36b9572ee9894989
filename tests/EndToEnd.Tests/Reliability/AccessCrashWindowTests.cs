using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Approvals.Core.Workflow;
using Approvals.EndToEnd.Tests.Support;
using Approvals.Local.Actions;
using Azure.Data.Tables;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Issue 27's first reproduction, on the Azure Storage backend (Azurite): the host is killed after the add
/// activity's result was queued and before its work item was deleted, so the add is delivered again, minutes later in
/// Azure (here: once its message's invisibility ends), after the access has ended. Counted from the local Graph's own
/// log (<c>groups.jsonl</c>) and the ledger's table, not from the workflow's status.</summary>
[Trait("Category", "Reliability")]
public sealed class AccessCrashWindowTests(ITestOutputHelper output)
{
    const string Member = "requester";

    [Fact]
    public async Task KilledBetweenTheAddsCompletionAndItsWorkItemsDeletion_RedeliveredAfterTheEnd_AddsNothing()
    {
        AzuriteRestartTests.RequireAzurite();
        var data = Repo.NewDataDirectory();
        var port = Repo.FreePort();
        var hub = "accwin" + Guid.NewGuid().ToString("N")[..12];
        var env = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = hub,
            ["APPROVALS_ACCESS_MIN_SECONDS"] = "1",
            // Control messages of the killed host come back after 15 s, its work items after 30 s: the redelivered add
            // arrives after the 5 s grant is over.
            ["APPROVALS_ENGINE_VISIBILITY_TIMEOUT_SECONDS"] = "15",
            [ReconcileOptions.ScheduleSetting] = "*/2 * * * * *",
        };
        var marker = FaultPoints.PathOf(data, "workitem-delete-held." + nameof(RunActionActivity));

        var host = await HostProcess.StartAsync(data, new(env) { ["APPROVALS_ENGINE_FAULT_HOLD_DELETE_OF"] = nameof(RunActionActivity) }, port);
        var driver = new ReliabilityDriver(host);
        using var requester = new HttpClient { BaseAddress = host.BaseAddress };
        requester.DefaultRequestHeaders.Authorization = new("Bearer", host.Token(Member + "@local", [Core.Identity.ApprovalsRoles.Request]));
        using var started = await requester.PostAsJsonAsync("api/access-requests", new { resource = "Production", reason = "crash window", durationSeconds = 5 });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await driver.ClaimAsync(await driver.PetitionOfAsync(id), "access/approve");
        for (var until = DateTime.UtcNow.AddSeconds(60); !File.Exists(marker); await Task.Delay(20))
        {
            Assert.True(DateTime.UtcNow < until, "the host never held the add's work-item deletion:\n" + host.Output);
        }

        var exit = host.Kill(); // the add's result is in the control queue; its work item is still there, invisible
        await host.DisposeAsync();
        var killedAt = DateTimeOffset.UtcNow;
        var atKill = Changes(data);

        var restarted = await HostProcess.StartAsync(data, env, port);
        var ledger = new TableClient("UseDevelopmentStorage=true", TableAccessLedgerStore.TableNameFor(hub));
        var entry = await WaitForAsync(ledger, e => e.LateAdds >= 1, TimeSpan.FromSeconds(90)); // the redelivered add ran
        var view = await new ReliabilityDriver(restarted).WaitAsync(id, ReliabilityDriver.IsFinal, 60);
        var changes = Changes(data);
        output.WriteLine(restarted.Output);
        await restarted.DisposeAsync();

        var notAfter = entry.NotAfter;
        output.WriteLine($"exit {exit}; killed {(killedAt - notAfter).TotalSeconds:F1} s relative to the grant's end; changes: {string.Join(", ", changes.Select(c => $"{c.Change} at {(c.At - notAfter).TotalSeconds:F2} s after the grant's end"))}; late adds refused: {entry.LateAdds}; status {ReliabilityDriver.StatusOf(view)}");
        Assert.Equal(CrashTests.SigKillExitStatus, exit);
        Assert.Equal([FileGroups.Added], atKill.Select(c => c.Change)); // the add had landed when the host died
        Assert.Equal([FileGroups.Added, FileGroups.Removed], changes.Select(c => c.Change)); // and never again after the end
        Assert.DoesNotContain(Member, new FileGroups(data, TimeProvider.System).Members(FileGroups.ProductionGroup));
        Assert.True(entry.Settled && entry.EndedAt is not null, entry.ToString());
        Assert.Equal("completed", ReliabilityDriver.StatusOf(view));
        Directory.Delete(data, recursive: true);
    }

    static List<LocalMembershipChange> Changes(string data) =>
        FileGroups.Log(data).Where(c => c.Group == FileGroups.ProductionGroup && c.Member == Member).ToList();

    static async Task<LedgerEntry> WaitForAsync(TableClient table, Func<LedgerEntry, bool> condition, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (true)
        {
            var all = await AllAsync(table);
            if (all.FirstOrDefault(condition) is { } found && found.Settled)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < until, $"the ledger never showed it within {within}: {string.Join("; ", all)}");
            await Task.Delay(200);
        }
    }

    static async Task<IReadOnlyList<LedgerEntry>> AllAsync(TableClient table)
    {
        var list = new List<LedgerEntry>();
        await foreach (var e in table.QueryAsync<TableEntity>())
        {
            list.Add(new LedgerEntry(e.GetString("ApprovalId"), e.GetString("GroupId"), e.GetString("MemberId"), e.GetDateTimeOffset("NotAfter") ?? default, e.GetDateTimeOffset("EndedAt"),
                e.GetBoolean("Adding") ?? false, e.GetBoolean("Added") ?? false, e.GetBoolean("Standing") ?? false, e.GetBoolean("Settled") ?? false, e.GetInt32("LateAdds") ?? 0));
        }

        return list;
    }
}
