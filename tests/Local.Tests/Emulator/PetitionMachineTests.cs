using Approvals.Core.Indent;
using Approvals.Local.Emulator;

namespace Approvals.Local.Tests.Emulator;

/// <summary>The emulator's phase machine on its own: no store, no clock, no host.</summary>
public sealed class PetitionMachineTests
{
    static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    static readonly Resource Petra = new() { Kind = "user", Id = "petra@acme.test", Email = "petra@acme.test" };
    static readonly Resource Mary = new() { Kind = "user", Id = "mary@acme.test", Email = "mary@acme.test" };

    static Func<string> Ids()
    {
        var n = 0;
        return () => $"id-{++n}";
    }

    static Petition Open() =>
        PetitionMachine.Open(new Petition { Reason = "why", Resources = [new Resource { Kind = "action", Id = "reset-password:123" }] }, "p-1", "acme", Petra, Now, Ids()).Petition;

    static ClaimRequest Claim(string type, string? duration = null, string? id = null) =>
        ClaimRequest.From(new IndentEvent { EventType = type, Id = id, Meta = duration is null ? null : new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Duration] = duration } } });

    [Fact]
    public void Open_NewPetition_IsOpenWithOneRequestEventByThePetitioner()
    {
        var opened = PetitionMachine.Open(new Petition { Reason = "why", Resources = [new Resource { Kind = "action", Id = "x" }] }, "p-1", "acme", Petra, Now, Ids());

        Assert.Equal(IndentPhases.Open, opened.Petition.Phase);
        Assert.Equal("p-1", opened.Petition.Name);
        Assert.Equal(Petra, opened.Petition.Petitioners![0]);
        var request = Assert.Single(opened.Raised);
        Assert.Equal(IndentEventTypes.Request, request.EventType);
        Assert.Equal("p-1", request.Meta!.Labels!["petition"]);
        Assert.Equal(Now, opened.Petition.Meta!.CreateTime);
    }

    [Fact]
    public void Apply_ApproveWithDuration_GrantsAndRecordsExpiry()
    {
        var granted = PetitionMachine.Apply(Open(), Claim(IndentEventTypes.Approve, "1h0m0s", "c-1"), Mary, Now, Ids());

        Assert.Equal(IndentPhases.Granted, granted.Petition.Phase);
        Assert.Equal([IndentEventTypes.Approve, IndentEventTypes.Grant], granted.Raised.Select(e => e.EventType));
        Assert.Equal("c-1", granted.Recorded.Id);
        Assert.Equal(Now.AddHours(1), PetitionMachine.GrantExpiry(granted.Petition));
        Assert.Equal(3, granted.Petition.State!.EventHistory!.Count);
    }

    [Fact]
    public void Apply_ApproveWithoutDuration_GrantsIndefinitely()
    {
        var granted = PetitionMachine.Apply(Open(), Claim(IndentEventTypes.Approve), Mary, Now, Ids());

        Assert.Equal(IndentPhases.Granted, granted.Petition.Phase);
        Assert.Null(PetitionMachine.GrantExpiry(granted.Petition));
    }

    [Fact]
    public void Apply_DenyOpen_Closes()
    {
        var closed = PetitionMachine.Apply(Open(), Claim(IndentEventTypes.Deny), Mary, Now, Ids());

        Assert.Equal(IndentPhases.Closed, closed.Petition.Phase);
        Assert.Equal(IndentEventTypes.Deny, Assert.Single(closed.Raised).EventType);
    }

    [Fact]
    public void Apply_RevokeGranted_Revokes()
    {
        var granted = PetitionMachine.Apply(Open(), Claim(IndentEventTypes.Approve), Mary, Now, Ids()).Petition;

        var revoked = PetitionMachine.Apply(granted, Claim(IndentEventTypes.Revoke), Mary, Now.AddMinutes(1), Ids());

        Assert.Equal(IndentPhases.Revoked, revoked.Petition.Phase);
        Assert.Equal(Now.AddMinutes(1), revoked.Petition.Meta!.UpdateTime);
    }

    [Theory]
    [InlineData(IndentEventTypes.Revoke, null)]             // revoke needs a grant
    [InlineData(IndentEventTypes.Approve, "closed")]        // a closed petition cannot be approved
    [InlineData(IndentEventTypes.Deny, "granted")]          // a grant is revoked, not denied
    public void Apply_IllegalTransition_RefusedAsPrecondition(string claim, string? from)
    {
        var petition = from switch
        {
            "closed" => PetitionMachine.Apply(Open(), Claim(IndentEventTypes.Deny), Mary, Now, Ids()).Petition,
            "granted" => PetitionMachine.Apply(Open(), Claim(IndentEventTypes.Approve), Mary, Now, Ids()).Petition,
            _ => Open(),
        };

        var error = Assert.Throws<EmulatorException>(() => PetitionMachine.Apply(petition, Claim(claim), Mary, Now, Ids()));

        Assert.Equal(9, error.Code);
    }

    [Theory]
    [InlineData("access/grant", null)]
    [InlineData("access/approve", "soon")]
    [InlineData("", null)]
    public void ClaimRequest_BadClaim_RefusedAsInvalid(string type, string? duration)
    {
        var error = Assert.Throws<EmulatorException>(() => Claim(type, duration));

        Assert.Equal(3, error.Code);
    }

    [Fact]
    public void Open_NoResources_RefusedAsInvalid()
    {
        var error = Assert.Throws<EmulatorException>(() => PetitionMachine.Open(new Petition { Reason = "why", Resources = [] }, "p", "acme", Petra, Now, Ids()));

        Assert.Equal(400, error.HttpStatus);
    }
}
