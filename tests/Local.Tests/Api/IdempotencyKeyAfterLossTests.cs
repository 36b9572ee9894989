using System.Net;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Api;

/// <summary>An Idempotency-Key used again after the engine lost the approval it named (a purge here; the in-memory
/// engine after a restart alike): the key maps to the same instance id, and so to the same request id on Indent, where
/// the earlier approval's granted petition still is. That grant was the earlier run's; the new run must ask again.</summary>
public sealed class IdempotencyKeyAfterLossTests
{
    [Fact]
    public async Task SameKey_AfterTheApprovedInstanceWasPurged_NewPetition_NeverActsWithoutANewApproval()
    {
        await using var host = await TestHost.StartAsync();
        var user = "k" + Guid.NewGuid().ToString("N")[..10];
        var key = "key-" + Guid.NewGuid().ToString("N");
        var first = await host.StartResetAsync(user, idempotencyKey: key);
        var firstPetition = (await host.WaitForPetitionAsync(first)).Petition!;
        host.ApproveAsAPerson(firstPetition);
        await host.WaitForStatusAsync(first, ApprovalStatuses.Completed);
        Assert.Equal(1, host.Resets(user));
        // The requester takes the temporary password: the credential is destroyed, so a second reset would be a new one.
        using (var reveal = await host.Http.PostAsync(new Uri($"api/approvals/{first}/credential", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, reveal.StatusCode);
        }

        using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await host.Durable.WaitForInstanceCompletionAsync(CredentialRevealOrchestrator.InstanceIdFor(first), bound.Token);
        }

        var purged = await host.Durable.PurgeInstanceAsync(first);
        Assert.Equal(1, purged.PurgedInstanceCount);

        var second = await host.StartResetAsync(user, idempotencyKey: key);
        var waiting = await host.WaitForPetitionAsync(second);

        Assert.Equal(first, second);
        Assert.NotEqual(firstPetition, waiting.Petition);
        Assert.Equal(IndentPhases.Granted, (await host.Indent.GetPetitionAsync(firstPetition)).Phase); // the old grant stands, unused
        Assert.Equal(1, host.Resets(user));

        // Nobody approves the new petition: it is denied, and nothing more is done.
        host.Emulator.Claim(waiting.Petition!, new IndentEvent { EventType = IndentEventTypes.Deny }, "bob@local");
        var done = await host.WaitForAsync(second, v => ApprovalStatuses.IsFinal(v.Status));
        Assert.Equal(ApprovalStatuses.Denied, done.Status);
        Assert.Equal(1, host.Resets(user));
    }
}
