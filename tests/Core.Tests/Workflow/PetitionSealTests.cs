using Approvals.Core.Indent;
using Approvals.Core.Workflow;

namespace Approvals.Core.Tests.Workflow;

public sealed class PetitionSealTests
{
    const string Instance = "reset-password-123-0123456789abcdef";

    static Petition Sealed(string key, string instance = Instance, string resource = "reset-password:123") => new()
    {
        Name = "p-1",
        Resources = [new Resource { Kind = "action", Id = resource }],
        Meta = new ObjectMeta { Labels = new Dictionary<string, string> { [WorkflowLabels.Instance] = instance, [PetitionSeal.Label] = PetitionSeal.Compute(key, instance) } },
    };

    [Fact]
    public void Refusal_OurSealedPetition_None() =>
        Assert.Null(PetitionSeal.Refusal(Sealed("k1"), Instance, "reset-password", "123", ["k1"]));

    [Fact]
    public void Refusal_DuringRotation_AnyConfiguredKeyVerifies() =>
        Assert.Null(PetitionSeal.Refusal(Sealed("old"), Instance, "reset-password", "123", Core.Secrets.SecretLists.Split("new, old")));

    [Theory]
    [InlineData("other-key", Instance, "reset-password:123", "seal")]
    [InlineData("k1", "reset-password-123-ffffffffffffffff", "reset-password:123", "another approval")]
    [InlineData("k1", Instance, "reset-password:999", "not for")]
    public void Refusal_NotOurs_SaysWhy(string key, string labelledInstance, string resource, string why)
    {
        var petition = Sealed(key, labelledInstance, resource);

        var refusal = PetitionSeal.Refusal(petition, Instance, "reset-password", "123", ["k1"]);

        Assert.Contains(why, refusal, StringComparison.Ordinal);
    }
}
