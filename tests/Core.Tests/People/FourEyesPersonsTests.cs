using Approvals.Core.Actions;
using Approvals.Core.Identity;
using Approvals.Core.Indent;
using Approvals.Core.People;
using Approvals.Core.Workflow;
using Microsoft.Extensions.Options;

namespace Approvals.Core.Tests.People;

/// <summary>The approver resolved to directory persons, and the rule decided on them: one test per branch.</summary>
public sealed class FourEyesPersonsTests
{
    /// <summary>A directory with a few people, answering lookups as Graph's filters would (case-insensitive).</summary>
    sealed class Directory(params (DirectoryUser User, string[] Addresses)[] people) : IPeopleDirectory
    {
        public int Lookups { get; private set; }

        public Task<DirectoryUser?> FindUserAsync(string userId, CancellationToken cancellationToken = default)
        {
            Lookups++;
            return Task.FromResult(people.Select(p => p.User).FirstOrDefault(u => string.Equals(u.Id, userId, StringComparison.OrdinalIgnoreCase)));
        }

        public Task<IReadOnlyList<DirectoryUser>> FindByAddressAsync(string address, CancellationToken cancellationToken = default)
        {
            Lookups++;
            return Task.FromResult<IReadOnlyList<DirectoryUser>>([.. people.Where(p => p.Addresses.Contains(address, StringComparer.OrdinalIgnoreCase)).Select(p => p.User)]);
        }
    }

    static readonly DirectoryUser Carol = new("c0ffee00-0000-4000-8000-00000000ca01", "Carol Chen", "carol@corp.example", "carol.chen@corp.example", true);
    static readonly DirectoryUser Bob = new("b0b00000-0000-4000-8000-00000000b0b0", "Bob Smith", "bob@corp.example", "bob@corp.example", true);
    static readonly DirectoryUser Dana = new("da4a0000-0000-4000-8000-00000000da4a", "Dana Left", "dana@corp.example", "dana@corp.example", false);
    static readonly Requester CarolAsks = new(Carol.Id, "carol.chen@corp.example", "Carol Chen");
    static readonly TargetUser SamIsTarget = new("5a300000-0000-4000-8000-000000005a30", "Sam", ["sam@corp.example"]);

    static ApproverResolver Resolver(Directory directory, params string[] autoApprovers) =>
        new(directory, Options.Create(new FourEyesOptions { AutoApprovers = autoApprovers }));

    static Directory People() => new(
        (Carol, ["carol@corp.example", "carol.chen@corp.example", "cc@corp.example", "carol@home.example"]),
        (Bob, ["bob@corp.example"]),
        (Dana, ["dana@corp.example"]));

    static PetitionSnapshot Granted(ApproverCheck approver) => new("p", IndentPhases.Granted, "x", null, Approver: approver);

    [Theory]
    [InlineData(null, "  CC@corp.example ", null)]
    [InlineData("U04CAROL", null, "smtp:carol@home.example")]
    [InlineData("c0ffee00-0000-4000-8000-00000000ca01", null, null)]
    [InlineData(null, "bob@corp.example", "SMTP:carol.chen@corp.example")]
    public async Task Resolve_AnyIdentifierOfTheRequester_RefusedAsTheRequester(string? id, string? email, string? altId)
    {
        var actor = new Resource { Kind = "user", Id = id, Email = email, AltIds = altId is null ? null : [altId], DisplayName = "someone" };

        var check = await Resolver(People()).ResolveAsync(actor);

        Assert.Contains(Carol.Id, check.PersonIds);
        Assert.StartsWith("four eyes: approved by the requester", FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(check)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_ADisplayNameAlone_NeverLookedUp_Refused()
    {
        var directory = People();

        var check = await Resolver(directory).ResolveAsync(new Resource { Kind = "user", DisplayName = "Bob Smith" });

        Assert.Equal(0, directory.Lookups);
        Assert.Empty(check.PersonIds);
        Assert.Contains("carries no id or email", FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(check)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_OneEnabledOtherPerson_Allowed()
    {
        var check = await Resolver(People()).ResolveAsync(new Resource { Kind = "user", Id = "U0BOB", Email = "BOB@corp.example" });

        Assert.Equal([Bob.Id], check.PersonIds);
        Assert.Null(FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(check)));
    }

    [Fact]
    public async Task Resolve_ADisabledPerson_Refused()
    {
        var check = await Resolver(People()).ResolveAsync(new Resource { Kind = "user", Email = "dana@corp.example" });

        Assert.Contains("disabled", FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(check)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_NobodyOrTwoPeople_Refused()
    {
        var nobody = await Resolver(People()).ResolveAsync(new Resource { Kind = "user", Email = "zed@elsewhere.example" });
        var two = await Resolver(People()).ResolveAsync(new Resource { Kind = "user", Email = "bob@corp.example", AltIds = ["dana@corp.example"] });

        Assert.Contains("is not a person of the directory", FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(nobody)), StringComparison.Ordinal);
        Assert.Contains("names 2 directory people", FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(two)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_NoActor_Refused()
    {
        var check = await Resolver(People()).ResolveAsync(null);

        Assert.Contains("names no approver", FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(check)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_TooManyIdentifiers_RefusedWithoutLookingThemUp()
    {
        var directory = People();
        var actor = new Resource { Kind = "user", AltIds = [.. Enumerable.Range(0, ApproverResolver.MaxIdentifiers + 1).Select(i => $"a{i}@corp.example")] };

        var check = await Resolver(directory).ResolveAsync(actor);

        Assert.Equal(0, directory.Lookups);
        Assert.NotNull(FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(check)));
    }

    [Fact]
    public async Task Resolve_ListedAutoApprover_Allowed_UnlessItAlsoNamesTheRequester()
    {
        var listed = await Resolver(People(), "indent-rule-7").ResolveAsync(new Resource { Kind = "bot", Id = "INDENT-RULE-7" });
        var unlisted = await Resolver(People()).ResolveAsync(new Resource { Kind = "bot", Id = "indent-rule-7" });
        var smuggled = await Resolver(People(), "indent-rule-7").ResolveAsync(new Resource { Kind = "bot", Id = "indent-rule-7", AltIds = ["cc@corp.example"] });

        Assert.Null(FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(listed)));
        Assert.Equal("approved automatically by indent-rule-7 (listed in APPROVALS_AUTO_APPROVERS)", FourEyes.Describe(Granted(listed)));
        Assert.NotNull(FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(unlisted)));
        Assert.StartsWith("four eyes: approved by the requester", FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(smuggled)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_TheTargetUnderAnyName_RefusedAsTheTarget()
    {
        var directory = new Directory((new DirectoryUser(SamIsTarget.Id, "Sam", "sam@corp.example", "sam.q@corp.example", true), ["sam@corp.example", "sam.q@corp.example"]));

        var check = await Resolver(directory).ResolveAsync(new Resource { Kind = "user", Email = "Sam.Q@corp.example" });

        Assert.StartsWith("four eyes: approved by the user whose password it is", FourEyes.Refusal(CarolAsks, SamIsTarget, Granted(check)), StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_RecordedBeforeApproversWereResolved_JudgedByName_AsWhenItRan()
    {
        // A history from an earlier build holds snapshots without Approver: replaying it must take the path it took then.
        var legacy = new PetitionSnapshot("p", IndentPhases.Granted, "CAROL.CHEN@corp.example", null, ApprovedBy: "CAROL.CHEN@corp.example");
        var other = legacy with { ApprovedBy = "bob@corp.example", DecidedBy = "bob@corp.example" };

        Assert.NotNull(FourEyes.Refusal(CarolAsks, SamIsTarget, legacy));
        Assert.Null(FourEyes.Refusal(CarolAsks, SamIsTarget, other));
    }
}
