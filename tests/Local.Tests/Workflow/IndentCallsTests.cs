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
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, "mary@acme.test");
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);

        var after = new Dictionary<string, long>(EmulatorEndpoints.CallCounts);
        long Delta(string kind) => after.GetValueOrDefault(kind) - before.GetValueOrDefault(kind);
        Assert.Equal(1, Delta("petitions.list"));
        Assert.Equal(1, Delta("petitions.create"));
        Assert.Equal(1, Delta("petitions.get"));
        Assert.Equal(3, after.Sum(c => c.Value) - before.Sum(c => c.Value));
    }
}
