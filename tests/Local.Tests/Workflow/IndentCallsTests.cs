using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Emulator;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Workflow;

/// <summary>Runs alone: the emulator's call counts are process-wide, so no other test may call Indent meanwhile.</summary>
[CollectionDefinition(nameof(IndentCallsTests), DisableParallelization = true)]
public sealed class SerialIndentCalls;

/// <summary>What a fast approval costs Indent, counted by the emulator's API: the look-up by request id (every create
/// attempt looks first), the create, and the one verify read — three calls, no claim.</summary>
[Collection(nameof(IndentCallsTests))]
public sealed class IndentCallsTests
{
    [Fact]
    public async Task FastApproval_ThreeIndentCalls_LookUpCreateVerify()
    {
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60" });
        var before = new Dictionary<string, long>(EmulatorEndpoints.CallCounts);

        var id = await host.StartResetAsync("calls" + Guid.NewGuid().ToString("N")[..8]);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        // The approver acts in Indent (here: the emulator itself, not its API, so the count is the workflow's alone).
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, "bob@local");
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);

        var after = new Dictionary<string, long>(EmulatorEndpoints.CallCounts);
        long Delta(string kind) => after.GetValueOrDefault(kind) - before.GetValueOrDefault(kind);
        Assert.Equal(1, Delta("petitions.list"));
        Assert.Equal(1, Delta("petitions.create"));
        Assert.Equal(1, Delta("petitions.get"));
        Assert.Equal(3, after.Sum(c => c.Value) - before.Sum(c => c.Value));
    }

    [Theory]
    [InlineData("waiting")]
    [InlineData("active")]
    public async Task FloodOfValidHints_ReadsThePetitionAboutOncePerSecond_NotOncePerHint(string phase)
    {
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60", [AccessOptions.MinSecondsSetting] = "1" });
        var id = await host.StartAccessAsync(seconds: 3600);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        if (phase == "active")
        {
            host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, "bob@local");
            await host.WaitForStatusAsync(id, ApprovalStatuses.Active);
        }

        var before = new Dictionary<string, long>(EmulatorEndpoints.CallCounts);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var hint = new IndentEvent
        {
            EventType = IndentEventTypes.Grant,
            Meta = new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Petition] = petition } },
            Resources = [new Resource { Kind = "environment", Id = "production", Labels = new Dictionary<string, string> { [WorkflowLabels.Instance] = id } }],
        };
        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            using var accepted = await host.SendWebhookAsync(hint);
            Assert.Equal(System.Net.HttpStatusCode.OK, accepted.StatusCode);
        });
        // A workflow handles its events in order: once it reports the cancel, every hint before it has been handled.
        (await host.Http.PostAsync($"api/approvals/{id}/cancel", null)).Dispose();
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 60_000);
        var reads = EmulatorEndpoints.CallCounts.GetValueOrDefault("petitions.get") - before.GetValueOrDefault("petitions.get");

        Assert.Equal(phase == "active" ? ApprovalStatuses.Completed : ApprovalStatuses.Cancelled, done.Status);
        Assert.True(reads <= 2 + (long)Math.Ceiling(clock.Elapsed.TotalSeconds), $"{reads} reads for 200 hints in {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
