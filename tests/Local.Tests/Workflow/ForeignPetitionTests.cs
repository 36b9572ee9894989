using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Tests.Workflow;

/// <summary>Petitions that are not ours, and creates whose answer was lost, on the real engine and emulator.</summary>
public sealed class ForeignPetitionTests
{
    static string User() => "f" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>What someone who can create petitions in the space could plant: every label we use, minus the seal.</summary>
    static Petition Planted(string instanceId, string user) => new()
    {
        Reason = "planted",
        Resources = [new Resource { Kind = "action", Id = $"{WorkflowLabels.ResetPasswordAction}:{user}" }],
        Meta = new ObjectMeta
        {
            Labels = new Dictionary<string, string>
            {
                [IndentLabels.RequestId] = instanceId,
                [WorkflowLabels.Instance] = instanceId,
                [WorkflowLabels.User] = user,
                [WorkflowLabels.Action] = WorkflowLabels.ResetPasswordAction,
                [PetitionSeal.Label] = new string('0', 64),
            },
        },
    };

    [Fact]
    public async Task PlantedPetitionWithThePredictableRequestId_Refused_NeverActs()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        const string key = "key-known-to-mallory";
        var instanceId = ApprovalIds.ForIdempotencyKey(WorkflowLabels.ResetPasswordAction, TestHost.CallerId, key);
        var planted = host.Emulator.Create(Planted(instanceId, user), "mallory@acme.test");
        host.Emulator.Claim(planted.Name!, new IndentEvent { EventType = IndentEventTypes.Approve }, "mallory@acme.test");

        var id = await host.StartResetAsync(user, idempotencyKey: key);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(instanceId, id);
        Assert.Equal(ApprovalStatuses.Failed, done.Status);
        Assert.Contains("refused", done.Detail, StringComparison.Ordinal);
        Assert.Equal(0, host.Resets(user));
    }

    [Fact]
    public async Task VerifyRead_OfAPetitionWithoutOurSeal_IsForeign_NeverGranted()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        var instanceId = ApprovalIds.New(WorkflowLabels.ResetPasswordAction, user);
        var planted = host.Emulator.Create(Planted(instanceId, user), "mallory@acme.test");
        host.Emulator.Claim(planted.Name!, new IndentEvent { EventType = IndentEventTypes.Approve }, "mallory@acme.test");
        var read = host.Host.Services.GetRequiredService<GetPetitionActivity>();

        var snapshot = await read.RunAsync(null!, new GetPetitionInput(planted.Name!, instanceId, WorkflowLabels.ResetPasswordAction, user));
        var otherUser = await read.RunAsync(null!, new GetPetitionInput(planted.Name!, instanceId, WorkflowLabels.ResetPasswordAction, User()));

        Assert.Equal(IndentPhases.Granted, snapshot.Phase);
        Assert.True(snapshot.IsForeign);
        Assert.False(snapshot.IsGranted);
        Assert.Contains("seal", snapshot.Refusal, StringComparison.Ordinal);
        Assert.Contains("not for", otherUser.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePetition_DeliveredAgainAfterItsAnswerWasLost_AdoptsTheFirst_OnePetition()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        var input = new CreatePetitionInput(ApprovalIds.New(WorkflowLabels.ResetPasswordAction, user), WorkflowLabels.ResetPasswordAction, user, "to recover account");
        var create = host.Host.Services.GetRequiredService<CreatePetitionActivity>();

        var first = await create.RunAsync(null!, input);   // Indent committed it; say the answer never reached the engine
        var second = await create.RunAsync(null!, input);  // so the activity runs again

        Assert.Equal(first, second);
        var withOurRequestId = host.Emulator.All().Where(p => p.Meta?.Labels is { } l && l.TryGetValue(IndentLabels.RequestId, out var r) && r == input.InstanceId).ToList();
        Assert.Single(withOurRequestId);
    }

    [Fact]
    public async Task CreatePetition_OrphanFromAnOverlappingAttempt_ClosedAndTheOldestAdopted()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        var input = new CreatePetitionInput(ApprovalIds.New(WorkflowLabels.ResetPasswordAction, user), WorkflowLabels.ResetPasswordAction, user, "to recover account");
        var create = host.Host.Services.GetRequiredService<CreatePetitionActivity>();
        var first = await create.RunAsync(null!, input);
        var sealedCopy = host.Emulator.Get(first.Name) with { Name = null, State = null };
        var orphan = host.Emulator.Create(sealedCopy, "workflow@acme.test");   // what a second, overlapping attempt posted

        var adopted = await create.RunAsync(null!, input);

        Assert.Equal(first.Name, adopted.Name);
        Assert.Equal(IndentPhases.Closed, host.Emulator.Get(orphan.Name!).Phase);
        Assert.Equal(IndentPhases.Open, host.Emulator.Get(first.Name).Phase);
    }

    [Fact]
    public async Task CreatePetition_SameIdAfterItsPetitionWasGranted_NotAdopted_NewPetition()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        var input = new CreatePetitionInput(ApprovalIds.New(WorkflowLabels.ResetPasswordAction, user), WorkflowLabels.ResetPasswordAction, user, "to recover account");
        var create = host.Host.Services.GetRequiredService<CreatePetitionActivity>();
        var first = await create.RunAsync(null!, input);
        host.ApproveAsAPerson(first.Name);   // the earlier run under this id was granted (and its engine record is gone)

        var again = await create.RunAsync(null!, input);
        var retried = await create.RunAsync(null!, input); // the new run's own retry adopts the new one

        Assert.NotEqual(first.Name, again.Name);
        Assert.Equal(again, retried);
        Assert.Equal(IndentPhases.Granted, host.Emulator.Get(first.Name).Phase);
        Assert.Equal(IndentPhases.Open, host.Emulator.Get(again.Name).Phase);
    }

    [Fact]
    public async Task CreatePetition_OpenPetitionOfAnotherRequestUnderTheSameId_ClosedAndANewOneCreated()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        var id = ApprovalIds.New(WorkflowLabels.ResetPasswordAction, user);
        var create = host.Host.Services.GetRequiredService<CreatePetitionActivity>();
        var earlier = await create.RunAsync(null!, new CreatePetitionInput(id, WorkflowLabels.ResetPasswordAction, user, "the earlier request", new Core.Identity.Requester("alice", "alice@local", "Alice Jones")));

        var otherReason = await create.RunAsync(null!, new CreatePetitionInput(id, WorkflowLabels.ResetPasswordAction, user, "another reason", new Core.Identity.Requester("alice", "alice@local", "Alice Jones")));
        var otherPetitioner = await create.RunAsync(null!, new CreatePetitionInput(id, WorkflowLabels.ResetPasswordAction, user, "another reason", new Core.Identity.Requester("carol", "carol.chen@local", "Carol Chen")));

        Assert.NotEqual(earlier.Name, otherReason.Name);
        Assert.NotEqual(otherReason.Name, otherPetitioner.Name);
        Assert.Equal(IndentPhases.Closed, host.Emulator.Get(earlier.Name).Phase);
        Assert.Equal(IndentPhases.Closed, host.Emulator.Get(otherReason.Name).Phase);
        Assert.Equal(IndentPhases.Open, host.Emulator.Get(otherPetitioner.Name).Phase);
    }
}
