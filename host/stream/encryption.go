package stream

import "github.com/wasmhose/wasmhose/host/apierror"

// Server-side stream encryption: key types (KeyType) and statuses
// (DeliveryStreamEncryptionStatus).
const (
	KeyTypeAWSOwned        = "AWS_OWNED_CMK"
	KeyTypeCustomerManaged = "CUSTOMER_MANAGED_CMK"

	EncryptionEnabled         = "ENABLED"
	EncryptionEnabling        = "ENABLING"
	EncryptionEnablingFailed  = "ENABLING_FAILED"
	EncryptionDisabled        = "DISABLED"
	EncryptionDisabling       = "DISABLING"
	EncryptionDisablingFailed = "DISABLING_FAILED"
)

// FailureDescription is why an operation on a stream failed.
type FailureDescription struct {
	Type    string // Type is one of Firehose's DeliveryStreamFailureType values.
	Details string // Details says what happened.
}

// StartEncryptionInput is StartDeliveryStreamEncryptionInput.
type StartEncryptionInput struct {
	DeliveryStreamName                         string                        // DeliveryStreamName is required.
	DeliveryStreamEncryptionConfigurationInput *EncryptionConfigurationInput `json:",omitempty"` // DeliveryStreamEncryptionConfigurationInput defaults to an AWS owned key.
}

// StopEncryptionInput is StopDeliveryStreamEncryptionInput.
type StopEncryptionInput struct {
	DeliveryStreamName string // DeliveryStreamName is required.
}

// ValidateStartEncryption checks a StartDeliveryStreamEncryption request
// and returns the key configuration to use: the request's, or an AWS owned
// key when it names none.
func ValidateStartEncryption(in *StartEncryptionInput) (EncryptionConfigurationInput, error) {
	var c checker
	c.str("deliveryStreamName", in.DeliveryStreamName, 1, 64, reStreamName)
	if e := in.DeliveryStreamEncryptionConfigurationInput; e != nil {
		c.enum("deliveryStreamEncryptionConfigurationInput.keyType", e.KeyType, keyTypes)
		c.optStr("deliveryStreamEncryptionConfigurationInput.keyARN", e.KeyARN, 1, 512, reAWSKMSKeyARN)
	}
	if err := c.v.Err(); err != nil {
		return EncryptionConfigurationInput{}, err
	}
	e := EncryptionConfigurationInput{KeyType: KeyTypeAWSOwned}
	if in.DeliveryStreamEncryptionConfigurationInput != nil {
		e = *in.DeliveryStreamEncryptionConfigurationInput
	}
	return e, CheckEncryptionKey(&e)
}

// CheckEncryptionKey applies Firehose's semantic rules to a
// DeliveryStreamEncryptionConfigurationInput: a customer managed key needs
// a KMS key ARN, an AWS owned key takes none.
func CheckEncryptionKey(e *EncryptionConfigurationInput) error {
	switch e.KeyType {
	case KeyTypeCustomerManaged:
		if e.KeyARN == nil {
			return apierror.InvalidArgument("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK")
		}
		if !reKMSKeyARN.MatchString(*e.KeyARN) {
			return apierror.InvalidArgument("KeyARN %q is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id> or alias/<name>)", *e.KeyARN)
		}
	case KeyTypeAWSOwned:
		if e.KeyARN != nil {
			return apierror.InvalidArgument("KeyARN must not be specified when KeyType is AWS_OWNED_CMK")
		}
	}
	return nil
}

// EncryptionState returns the stream's DeliveryStreamEncryptionStatus.
func (s *Stream) EncryptionState() string {
	switch {
	case s.EncryptionStatus != "":
		return s.EncryptionStatus
	case s.Encryption != nil:
		return EncryptionEnabled // saved before statuses were recorded
	}
	return EncryptionDisabled
}

// describeEncryption builds DeliveryStreamEncryptionConfiguration.
func (s *Stream) describeEncryption() *EncryptionDescription {
	d := &EncryptionDescription{Status: s.EncryptionState()}
	if e := s.Encryption; e != nil {
		d.KeyARN = e.KeyARN
		d.KeyType = String(e.KeyType)
	}
	d.FailureDescription = s.EncryptionFailure
	return d
}
